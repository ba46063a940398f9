package io.parley.registry.crd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.fabric8.kubernetes.api.model.Condition;

/** The controller's status; the fields Parley shows in printer columns are typed, everything else is kept as is. */
@JsonIgnoreProperties(ignoreUnknown = true)
public class BundleDeploymentStatus {

    /** Every field the registry does not know, kept verbatim (the status is read leniently). */
    @JsonIgnore
    private final Map<String, Object> additionalProperties = new LinkedHashMap<>();

    /** The fields of the status the registry does not model (read-only: the registry never writes status). */
    @JsonIgnore
    public Map<String, Object> unknownFields() {
        return additionalProperties;
    }

    @JsonAnySetter
    public void unknownField(String name, Object value) {
        additionalProperties.put(name, value);
    }

    private String phase;
    private List<Condition> conditions = new ArrayList<>();

    public String getPhase() {
        return phase;
    }

    public void setPhase(String phase) {
        this.phase = phase;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }
}
