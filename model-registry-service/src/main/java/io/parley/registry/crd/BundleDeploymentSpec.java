package io.parley.registry.crd;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.fabric8.kubernetes.api.model.IntOrString;

@JsonIgnoreProperties(ignoreUnknown = true)
public class BundleDeploymentSpec {

    /** The name of the {@link Bundle} (same namespace) to deploy. */
    private String bundle;
    /** Pod groups; {@code default} is the usual one. */
    private List<Group> groups = new ArrayList<>();
    private String owner;
    private List<String> secretNames = new ArrayList<>();
    private EngineConfig engineConfig;

    public String getBundle() {
        return bundle;
    }

    public void setBundle(String bundle) {
        this.bundle = bundle;
    }

    public List<Group> getGroups() {
        return groups;
    }

    public void setGroups(List<Group> groups) {
        this.groups = groups;
    }

    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }

    public List<String> getSecretNames() {
        return secretNames;
    }

    public void setSecretNames(List<String> secretNames) {
        this.secretNames = secretNames;
    }

    public EngineConfig getEngineConfig() {
        return engineConfig;
    }

    public void setEngineConfig(EngineConfig engineConfig) {
        this.engineConfig = engineConfig;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Group {
        private String name;
        private Integer minReplicas;
        private List<String> qosList = new ArrayList<>();

        public Group() {
        }

        public Group(String name, Integer minReplicas) {
            this.name = name;
            this.minReplicas = minReplicas;
        }

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public Integer getMinReplicas() {
            return minReplicas;
        }

        public void setMinReplicas(Integer minReplicas) {
            this.minReplicas = minReplicas;
        }

        public List<String> getQosList() {
            return qosList;
        }

        public void setQosList(List<String> qosList) {
            this.qosList = qosList;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class EngineConfig {
        /** Seconds, or a duration string such as {@code 30m}. */
        private IntOrString startupTimeout;

        public IntOrString getStartupTimeout() {
            return startupTimeout;
        }

        public void setStartupTimeout(IntOrString startupTimeout) {
            this.startupTimeout = startupTimeout;
        }
    }
}
