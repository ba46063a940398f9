package io.parley.registry.rest;

/** An error the API answers with a status and the OpenAI-shaped body. */
public class RegistryException extends RuntimeException {

    private final int status;
    private final String type;
    private final String code;

    public RegistryException(int status, String type, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    public static RegistryException modelNotFound(String name) {
        return new RegistryException(404, "invalid_request_error", "model_not_found",
                "model '" + name + "' not found");
    }

    public static RegistryException deploymentNotFound(String name) {
        return new RegistryException(404, "invalid_request_error", "deployment_not_found",
                "deployment '" + name + "' not found");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }
}
