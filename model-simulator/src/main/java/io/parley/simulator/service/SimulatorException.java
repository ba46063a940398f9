package io.parley.simulator.service;

import io.parley.simulator.api.ErrorResponse;

/** A request the simulator refuses, with the status and vLLM error body it answers. */
public class SimulatorException extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;

    public SimulatorException(int status, String type, String message, String param) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    public static SimulatorException badRequest(String message) {
        return new SimulatorException(400, "BadRequestError", message, null);
    }

    public static SimulatorException badRequest(String message, String param) {
        return new SimulatorException(400, "BadRequestError", message, param);
    }

    public static SimulatorException modelNotFound(String model) {
        return new SimulatorException(404, "NotFoundError", "The model `" + model + "` does not exist.", "model");
    }

    public int status() {
        return status;
    }

    public ErrorResponse body() {
        return ErrorResponse.of(getMessage(), type, param, status);
    }
}
