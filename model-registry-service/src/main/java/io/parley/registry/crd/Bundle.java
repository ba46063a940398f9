package io.parley.registry.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/** A SambaStack bundle: the models it serves are the keys of {@code spec.models}. */
@Group("sambanova.ai")
@Version("v1alpha1")
@Plural("bundles")
@AdditionalPrinterColumn(name = "Template", jsonPath = ".spec.template", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Models", jsonPath = ".spec.models", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Bundle extends CustomResource<BundleSpec, BundleStatus> implements Namespaced {
}
