package io.sluice.broker.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;

/**
 * The layout {@code logback.xml} names: {@link TextLogLayout} or {@link JsonLogLayout}, as its
 * {@code format} property says ({@code text} or {@code json}; the configuration takes it from the
 * system property {@code sluice.log.format}, which {@code sluice serve --log-format} sets).
 */
public final class LogLayout extends LayoutBase<ILoggingEvent> {
    private LogFormat format = LogFormat.TEXT;
    private LayoutBase<ILoggingEvent> delegate;

    /** Called by Logback with the {@code <format>} element's text. */
    public void setFormat(String format) {
        this.format = LogFormat.parse(format);
    }

    @Override
    public void start() {
        delegate = format.newLayout();
        delegate.setContext(getContext());
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        if (delegate != null) {
            delegate.stop();
        }
    }

    @Override
    public String getContentType() {
        return delegate == null ? super.getContentType() : delegate.getContentType();
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        return delegate.doLayout(event);
    }
}
