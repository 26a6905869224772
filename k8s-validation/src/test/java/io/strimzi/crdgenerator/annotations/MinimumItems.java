package io.strimzi.crdgenerator.annotations;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;

/**
 * Stand-in for Strimzi's crd-generator annotation of the same name (that artifact is not published to Maven
 * Central). The io.strimzi:api classes carry these annotations (runtime-visible); with this declaration on
 * the test class path, reflection can read them, and StrimziSchema builds the CRD schema from them as
 * Strimzi's CRD generator does. Same name, element and type as the original, nothing else.
 */
@Retention(RetentionPolicy.RUNTIME)
public @interface MinimumItems {
    int value();
}
