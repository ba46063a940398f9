package io.parley.registry.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A deployment of a {@link Bundle}: groups of pods (and a cache pod) serving the bundle's models. */
@Group("sambanova.ai")
@Version("v1alpha1")
@Plural("bundledeployments")
@ShortNames("bd")
@AdditionalPrinterColumn(name = "Bundle", jsonPath = ".spec.bundle", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Models", jsonPath = ".status.models", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class BundleDeployment extends CustomResource<BundleDeploymentSpec, BundleDeploymentStatus>
        implements Namespaced {
}
