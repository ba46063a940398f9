package io.parley.registry.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.parley.registry.kubernetes.PodMatcher.MatchedPod;
import io.parley.registry.model.GroupInfo;
import io.parley.registry.model.ModelState;
import io.parley.registry.model.PodInfo;
import io.parley.registry.model.Serving;
import io.parley.registry.sambastack.Resources.Deployment;
import io.parley.registry.sambastack.Resources.Group;

/**
 * The served-ness rule of §3: a deployment is served when its cache pod is ready (the operator always makes one: a
 * deployment whose pods the operator's naming found needs it) and every group has at least {@code max(1, minReplicas)}
 * pods Running with all containers ready. Failed, Succeeded and terminating pods are leftovers: they never block a
 * group (or cache) that has enough ready pods, and appear in the reason only when it has not. While not served, the
 * reason tells how long the pods have been starting against the deployment's start-up timeout
 * ({@code engineConfig.startupTimeout}, documented default 45 min) and, past it, that start-up timed out.
 */
public final class ServingEvaluator {

    public record Result(Serving serving, List<PodInfo> pods, List<GroupInfo> groups) {
    }

    private final PodMatcher matcher;
    private final Duration defaultStartupTimeout;

    public ServingEvaluator(PodMatcher matcher, Duration defaultStartupTimeout) {
        this.matcher = matcher;
        this.defaultStartupTimeout = defaultStartupTimeout;
    }

    private record Judged(PodInfo info, boolean leftover, Optional<Instant> created) {
    }

    public Result evaluate(Deployment deployment, List<MatchedPod> matched, Instant now) {
        String name = deployment.meta().name();
        List<Judged> judged = new ArrayList<>();
        for (MatchedPod m : matched) {
            judged.add(judge(m));
        }
        List<PodInfo> pods = judged.stream().map(Judged::info).toList();
        List<GroupInfo> groups = new ArrayList<>();
        for (Group g : matcher.groups(deployment)) {
            List<Judged> in = judged.stream().filter(j -> j.info().group().equals(Optional.of(g.name()))).toList();
            groups.add(new GroupInfo(g.name(), g.minReplicas(),
                    (int) in.stream().filter(j -> j.info().ready()).count(),
                    in.stream().map(j -> j.info().name()).toList()));
        }
        Optional<Problem> problem = problem(name, judged, groups,
                matched.stream().anyMatch(MatchedPod::byOperator));
        if (problem.isEmpty()) {
            return new Result(Serving.yes(), pods, List.copyOf(groups));
        }
        String reason = problem.get().reason();
        boolean failed = problem.get().failed();
        // how long it has been starting: since the newest pod that is not ready yet, or the deployment itself
        Optional<Instant> since = judged.stream().filter(j -> !j.leftover() && !j.info().ready())
                .map(Judged::created).flatMap(Optional::stream).max(Instant::compareTo)
                .or(() -> deployment.meta().created());
        if (!failed && since.isPresent()) {
            Duration timeout = deployment.startupTimeout().orElse(defaultStartupTimeout);
            Duration starting = Duration.between(since.get(), now);
            if (starting.compareTo(timeout) > 0) {
                return new Result(Serving.no(ModelState.FAILED,
                        "start-up timed out after " + minutes(timeout) + ": " + reason), pods, List.copyOf(groups));
            }
            reason = reason + " (starting for " + starting.toMinutes() + " min of the " + minutes(timeout)
                    + " startup timeout)";
        }
        return new Result(Serving.no(failed ? ModelState.FAILED : ModelState.PENDING, reason), pods,
                List.copyOf(groups));
    }

    private static String minutes(Duration d) {
        return d.toSeconds() % 60 == 0 ? d.toMinutes() + "-min" : d.toSeconds() + "-s";
    }

    /** Why not served; {@code failed} when nothing is left that could still come up. */
    private record Problem(String reason, boolean failed) {
        static Optional<Problem> pending(String reason) {
            return Optional.of(new Problem(reason, false));
        }
    }

    private Optional<Problem> problem(String name, List<Judged> pods, List<GroupInfo> groups, boolean operatorPods) {
        if (pods.isEmpty()) {
            return Problem.pending("no pods found for deployment " + name);
        }
        List<Judged> cache = pods.stream()
                .filter(j -> j.info().group().equals(Optional.of(PodMatcher.CACHE))).toList();
        if (cache.stream().noneMatch(j -> j.info().ready())) {
            if (!cache.isEmpty()) {
                return Optional.of(new Problem(first(cache), onlyFailed(cache)));
            }
            if (operatorPods) {
                return Problem.pending("no cache pod for deployment " + name);
            }
        }
        for (GroupInfo g : groups) {
            int needed = Math.max(1, g.minReplicas());
            if (g.readyPods() >= needed) {
                continue;
            }
            List<Judged> in = pods.stream().filter(j -> j.info().group().equals(Optional.of(g.name()))).toList();
            if (in.isEmpty()) {
                return Problem.pending("no pods for group " + g.name() + " of deployment " + name);
            }
            if (needed > 1 && g.readyPods() > 0) {
                return Problem.pending("group " + g.name() + " has " + g.readyPods() + " of " + needed
                        + " ready pods; " + first(in));
            }
            return Optional.of(new Problem(first(in), onlyFailed(in)));
        }
        return Optional.empty();
    }

    /** No pod ready and every pod a Failed leftover: nothing will come up by itself. */
    private static boolean onlyFailed(List<Judged> pods) {
        return pods.stream().noneMatch(j -> j.info().ready())
                && pods.stream().allMatch(j -> j.leftover() && "Failed".equals(j.info().phase()));
    }

    /** The first not-ready pod's reason, preferring pods that may still come up over leftovers. */
    private static String first(List<Judged> pods) {
        List<Judged> notReady = pods.stream().filter(j -> !j.info().ready()).toList();
        List<Judged> live = notReady.stream().filter(j -> !j.leftover()).toList();
        List<Judged> pick = live.isEmpty() ? notReady : live;
        String reason = pick.get(0).info().reason().orElse("pod " + pick.get(0).info().name() + " not ready");
        return notReady.size() > 1 ? reason + " (and " + (notReady.size() - 1) + " more pod(s))" : reason;
    }

    private Judged judge(MatchedPod m) {
        Pod pod = m.pod();
        String name = m.name();
        Optional<String> group = m.group();
        Optional<Instant> created = Optional.ofNullable(pod.getMetadata().getCreationTimestamp())
                .flatMap(ServingEvaluator::instant);
        String phase = pod.getStatus() == null || pod.getStatus().getPhase() == null ? "Unknown"
                : pod.getStatus().getPhase();
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return new Judged(new PodInfo(name, group, phase, false, Optional.of("pod " + name + " is terminating"),
                    m.matchedBy()), true, created);
        }
        if ("Failed".equals(phase)) {
            String why = pod.getStatus().getReason() != null ? pod.getStatus().getReason()
                    : String.valueOf(pod.getStatus().getMessage());
            return new Judged(new PodInfo(name, group, phase, false, Optional.of("pod " + name + " failed: " + why),
                    m.matchedBy()), true, created);
        }
        if ("Succeeded".equals(phase)) {
            return new Judged(new PodInfo(name, group, phase, false, Optional.of("pod " + name + " has exited"),
                    m.matchedBy()), true, created);
        }
        if (!"Running".equals(phase)) {
            String why = waitingReason(pod)
                    .or(() -> condition(pod, "PodScheduled").filter(c -> !"True".equals(c.getStatus()))
                            .map(PodCondition::getReason))
                    .orElse(phase);
            return new Judged(new PodInfo(name, group, phase, false,
                    Optional.of("pod " + name + " is " + phase + ": " + why), m.matchedBy()), false, created);
        }
        List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
        boolean ready = statuses == null || statuses.isEmpty()
                ? condition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false)
                : statuses.stream().allMatch(s -> Boolean.TRUE.equals(s.getReady()));
        if (ready) {
            return new Judged(new PodInfo(name, group, phase, true, Optional.empty(), m.matchedBy()), false, created);
        }
        String why = condition(pod, "Ready").map(PodCondition::getReason).filter(r -> r != null && !r.isBlank())
                .or(() -> waitingReason(pod))
                .orElse("containers not ready");
        return new Judged(new PodInfo(name, group, phase, false, Optional.of("pod " + name + " not ready: " + why),
                m.matchedBy()), false, created);
    }

    private static Optional<Instant> instant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<PodCondition> condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private static Optional<String> waitingReason(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream()
                .filter(s -> s.getState() != null && s.getState().getWaiting() != null)
                .map(s -> s.getState().getWaiting().getReason())
                .filter(r -> r != null && !r.isBlank())
                .findFirst();
    }
}
