package io.parley.proxy.rest;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.parley.proxy.service.ServiceError;
import io.parley.proxy.usage.OutboxRepository;
import io.smallrye.common.annotation.Blocking;

/**
 * {@code /admin/usage/dead-letters}: the usage events of served calls that PostgreSQL refused to store (a data error,
 * not an outage), newest first, with the reason, so an admin can bill them by hand. It should stay empty: the proxy
 * refuses a NUL or malformed UTF-8 at the edge (400 {@code invalid_text}), so only a defect can put a row here.
 */
@Path("/admin/usage/dead-letters")
@RolesAllowed("admin")
@Blocking
@Produces(MediaType.APPLICATION_JSON)
public class DeadLetterResource {

    public record DeadLetters(List<OutboxRepository.DeadLetter> data) {
    }

    private final OutboxRepository outbox;

    DeadLetterResource(OutboxRepository outbox) {
        this.outbox = outbox;
    }

    @GET
    public DeadLetters list(@QueryParam("limit") @DefaultValue("100") int limit) throws Exception {
        if (limit < 1 || limit > 1000) {
            throw ServiceError.badRequest("limit must be from 1 to 1000", "limit", null);
        }
        return new DeadLetters(outbox.deadLetters(limit));
    }
}
