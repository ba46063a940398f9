package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The checks themselves catch what they are meant to catch (a check that cannot fail proves nothing). */
class ChecksTest {

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: demo
            spec:
              selector:
                matchLabels: {app: demo}
              template:
                metadata:
                  labels: {app: demo, app.kubernetes.io/component: demo}
                spec:
                  securityContext:
                    runAsNonRoot: true
                    runAsUser: 185
                    seccompProfile: {type: RuntimeDefault}
                  containers:
                    - name: demo
                      image: demo
                      env:
                        - name: DB_PASSWORD
                          %s
                      securityContext:
                        allowPrivilegeEscalation: false
                        %s: true
                        capabilities: {drop: [ALL]}
                      volumeMounts:
                        - {name: tmp, mountPath: /tmp}
                  volumes:
                    - {name: tmp, emptyDir: {}}
            """;

    private static Manifests.Doc deployment(String passwordSource, String readOnlyField) {
        return Manifests.parse(DEPLOYMENT.formatted(passwordSource, readOnlyField)).get(0);
    }

    private static final String FROM_SECRET = "valueFrom: {secretKeyRef: {name: db, key: password}}";

    @Test
    void aMisspelledFieldIsReportedWithItsPath() {
        Manifests.Doc typo = deployment(FROM_SECRET, "readOnlyRootFilesytem");

        assertThat(Manifests.unknownFields(typo.typed()))
                .containsExactly("spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem");
        assertThat(Manifests.unknownFields(deployment(FROM_SECRET, "readOnlyRootFilesystem").typed())).isEmpty();
    }

    @Test
    void anUnknownKindIsNotTakenForAKnownOne() {
        Manifests.Doc doc = Manifests.parse("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n").get(0);

        assertThat(Manifests.isGeneric(doc)).isTrue();
    }

    @Test
    void aWritableRootFilesystemFailsTheRestrictedCheck() {
        Checks.PodOf pod = Checks.pods(List.of(deployment(FROM_SECRET, "runAsNonRoot"))).get(0);

        assertThatThrownBy(() -> Checks.assertRestricted(pod)).hasMessageContaining("readOnlyRootFilesystem");
    }

    @Test
    void aLiteralPasswordFailsTheSecretCheck() {
        Checks.PodOf pod = Checks.pods(List.of(deployment("value: hunter2", "readOnlyRootFilesystem"))).get(0);

        assertThatThrownBy(() -> Checks.assertSecretsReferenced(pod)).hasMessageContaining("DB_PASSWORD");
    }

    @Test
    void aCustomResourceFieldTheCrdDoesNotDeclareIsReported() {
        Manifests.Doc bundle = Manifests.parse("""
                apiVersion: sambanova.ai/v1alpha1
                kind: BundleDeployment
                metadata: {name: b}
                spec:
                  bundle: b1
                  replicas: 2
                  groups:
                    - {name: default, minReplicas: one}
                """).get(0);

        assertThat(CustomResources.violations(bundle, List.of())).containsExactlyInAnyOrder(
                "spec.replicas: not in the schema (the API server would prune it)",
                "spec.groups[0].minReplicas: expected integer but was String");
    }

    @Test
    void theKustomizeEmulationRefusesFeaturesItDoesNotApply() throws Exception {
        java.nio.file.Path dir = Chart.MODULE.resolve("target/kustomize-unsupported");
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("kustomization.yaml"), "resources: []\nnamePrefix: x-\n");

        assertThatThrownBy(() -> Kustomize.build(dir)).hasMessageContaining("namePrefix");
    }
}
