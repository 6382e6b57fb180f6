package io.sluice.broker.audit.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;

/**
 * HAPI FHIR's R4 parser and instance validator against the base R4 profiles and terminologies,
 * offline: what the export's tests hold every Bundle and AuditEvent to. Built once per JVM, as
 * loading the R4 definitions takes seconds.
 */
public final class FhirR4 {
    public static final FhirContext CONTEXT = FhirContext.forR4();
    private static final FhirValidator VALIDATOR = validator();

    private FhirR4() {}

    public static Bundle parseBundle(String json) {
        return CONTEXT.newJsonParser().parseResource(Bundle.class, json);
    }

    /** The validator's errors and fatal messages, each as "location: message"; empty when the resource is valid. */
    public static List<String> errors(IBaseResource resource) {
        return messages(resource).stream()
                .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal())
                .map(m -> m.getLocationString() + ": " + m.getMessage())
                .toList();
    }

    /** The same for a resource given as JSON, parsed by the validator itself (so nothing the parser drops escapes it). */
    public static List<String> errors(String json) {
        synchronized (VALIDATOR) {
            return VALIDATOR.validateWithResult(json).getMessages().stream()
                    .filter(m -> m.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal())
                    .map(m -> m.getLocationString() + ": " + m.getMessage())
                    .toList();
        }
    }

    private static List<SingleValidationMessage> messages(IBaseResource resource) {
        synchronized (VALIDATOR) {
            return VALIDATOR.validateWithResult(resource).getMessages();
        }
    }

    private static FhirValidator validator() {
        ValidationSupportChain support = new ValidationSupportChain(
                new DefaultProfileValidationSupport(CONTEXT),
                new InMemoryTerminologyServerValidationSupport(CONTEXT),
                new CommonCodeSystemsTerminologyService(CONTEXT));
        FhirValidator validator = CONTEXT.newValidator();
        validator.registerValidatorModule(new FhirInstanceValidator(support));
        return validator;
    }
}
