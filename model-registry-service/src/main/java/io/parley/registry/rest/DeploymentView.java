package io.parley.registry.rest;

import java.util.List;

import io.parley.registry.model.DeploymentInfo;
import io.parley.registry.model.GroupInfo;
import io.parley.registry.model.ModelStatus;
import io.parley.registry.model.PodInfo;

/** A deployment of {@code GET /v1/deployments}: served-ness, endpoint, models with their state, groups and pods. */
public record DeploymentView(
        String name,
        String namespace,
        String source,
        String kind,
        String bundle,
        boolean served,
        String state,
        String reason,
        List<ModelView.EndpointView> endpoints,
        String endpointResolvedBy,
        List<ModelRef> models,
        List<GroupView> groups,
        List<PodView> pods,
        List<String> notes) {

    public record ModelRef(String name, String state, String reason) {
    }

    public record GroupView(String name, int minReplicas, int readyPods, List<String> pods) {
        static GroupView of(GroupInfo g) {
            return new GroupView(g.name(), g.minReplicas(), g.readyPods(), g.pods());
        }
    }

    public record PodView(String name, String group, String phase, boolean ready, String reason, String matchedBy) {
        static PodView of(PodInfo p) {
            return new PodView(p.name(), p.group().orElse(null), p.phase(), p.ready(), p.reason().orElse(null),
                    p.matchedBy());
        }
    }

    /** As {@link ModelView#of(ModelStatus, boolean)}: endpoints and URLs in reasons only for {@code internal}. */
    public static DeploymentView of(DeploymentInfo d, List<ModelStatus> models, boolean internal) {
        java.util.function.UnaryOperator<String> shown = internal ? r -> r : Visibility::redact;
        return new DeploymentView(d.name(), d.namespace().orElse(null), d.source(), d.kind(), d.bundle().orElse(null),
                d.serving().served(), d.serving().state(), shown.apply(d.serving().reason().orElse(null)),
                internal ? d.endpoints().stream()
                        .map(e -> new ModelView.EndpointView(e.url(), e.credentialRef().orElse(null))).toList()
                        : List.of(),
                d.endpointResolvedBy().orElse(null),
                models.stream()
                        .filter(m -> m.model().deployment().equals(d.name())
                                && m.model().namespace().equals(d.namespace())
                                && m.model().source().equals(d.source()))
                        .map(m -> new ModelRef(m.model().name(), m.state(), shown.apply(m.reason().orElse(null))))
                        .toList(),
                d.groups().stream().map(GroupView::of).toList(),
                d.pods().stream().map(PodView::of).toList(),
                d.notes().stream().map(shown).toList());
    }
}
