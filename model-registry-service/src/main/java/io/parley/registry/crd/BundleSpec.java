package io.parley.registry.crd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

@JsonIgnoreProperties(ignoreUnknown = true)
public class BundleSpec {

    /** The serving template of the bundle. */
    private String template;
    /** Model name to its checkpoint and template; the keys are the models the bundle serves. */
    private Map<String, BundleModel> models = new LinkedHashMap<>();
    /** Checkpoint key to its source and tool support. */
    private Map<String, Checkpoint> checkpoints = new LinkedHashMap<>();
    private List<String> secretNames = new ArrayList<>();

    public String getTemplate() {
        return template;
    }

    public void setTemplate(String template) {
        this.template = template;
    }

    public Map<String, BundleModel> getModels() {
        return models;
    }

    public void setModels(Map<String, BundleModel> models) {
        this.models = models;
    }

    public Map<String, Checkpoint> getCheckpoints() {
        return checkpoints;
    }

    public void setCheckpoints(Map<String, Checkpoint> checkpoints) {
        this.checkpoints = checkpoints;
    }

    public List<String> getSecretNames() {
        return secretNames;
    }

    public void setSecretNames(List<String> secretNames) {
        this.secretNames = secretNames;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class BundleModel {
        private String checkpoint;
        private String template;

        public BundleModel() {
        }

        public BundleModel(String checkpoint, String template) {
            this.checkpoint = checkpoint;
            this.template = template;
        }

        public String getCheckpoint() {
            return checkpoint;
        }

        public void setCheckpoint(String checkpoint) {
            this.checkpoint = checkpoint;
        }

        public String getTemplate() {
            return template;
        }

        public void setTemplate(String template) {
            this.template = template;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Checkpoint {
        private String source;
        private Boolean toolSupport;

        public String getSource() {
            return source;
        }

        public void setSource(String source) {
            this.source = source;
        }

        public Boolean getToolSupport() {
            return toolSupport;
        }

        public void setToolSupport(Boolean toolSupport) {
            this.toolSupport = toolSupport;
        }
    }
}
