package io.sluice.policy;

/**
 * The ODRL actions Sluice understands. A grant request is always a request to {@link #USE} the
 * data; {@link #READ} is treated as the same thing, because streaming the data to a training job
 * is reading it. {@link #DISTRIBUTE} can only be prohibited: it records the owner's intent for the
 * grant's terms and never blocks a grant.
 */
public enum Action {
    USE("use"),
    READ("read"),
    DISTRIBUTE("distribute");

    private final String odrlName;

    Action(String odrlName) {
        this.odrlName = odrlName;
    }

    /** The term as written in ODRL without prefix, e.g. {@code "use"}. */
    public String odrlName() {
        return odrlName;
    }

    /** Whether a permission may grant this action, i.e. whether it covers a grant request. */
    public boolean grantable() {
        return switch (this) {
            case USE, READ -> true;
            case DISTRIBUTE -> false;
        };
    }
}
