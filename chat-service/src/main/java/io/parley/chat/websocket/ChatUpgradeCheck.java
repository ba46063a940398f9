package io.parley.chat.websocket;

import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.security.CallerResolver;
import io.parley.chat.security.IdentityClaims;
import io.parley.chat.security.OriginCheck;
import io.parley.chat.service.Caller;
import io.quarkus.logging.Log;
import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * Guards {@code /ws/chat/{sessionId}} at the HTTP upgrade: a browser's {@code Origin} other than the page's own (or
 * one of {@code parley.chat.browser.websocket-origins}) answers 403 ({@link OriginCheck}), no identity answers 401, a session
 * that is not the
 * caller's answers 404 (as on the REST API), before any WebSocket exists. The caller's name and access token are
 * captured here, at request time, for the connection's turns.
 */
@ApplicationScoped
public class ChatUpgradeCheck implements HttpUpgradeCheck {

    static final UserData.TypedKey<String> SUBJECT = UserData.TypedKey.forString("parley.subject");
    static final UserData.TypedKey<String> USER = UserData.TypedKey.forString("parley.user");
    static final UserData.TypedKey<String> TOKEN = UserData.TypedKey.forString("parley.token");

    private final ChatRepository repository;
    private final ChatConfig config;
    private final IdentityClaims claims;

    public ChatUpgradeCheck(ChatRepository repository, ChatConfig config, IdentityClaims claims) {
        this.repository = repository;
        this.config = config;
        this.claims = claims;
    }

    @Override
    public boolean appliesTo(String endpointId) {
        return endpointId.equals(ChatSocket.class.getName());
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        if (!OriginCheck.allowed(context.httpRequest(), config.chat().browser().websocketOrigins().orElse(List.of()))) {
            // another site's page (cross-site WebSocket hijacking with the user's cookie): refused before anything
            Log.infof("chat WebSocket upgrade from origin %s refused", context.httpRequest().getHeader("Origin"));
            return CheckResult.rejectUpgrade(403);
        }
        return context.securityIdentity().onFailure().recoverWithNull().chain(identity -> {
            if (identity == null || identity.isAnonymous()) {
                return CheckResult.rejectUpgrade(401);
            }
            AccessTokenCredential token = identity.getCredential(AccessTokenCredential.class);
            if (token == null) {
                return CheckResult.rejectUpgrade(401);
            }
            UUID sessionId;
            try {
                sessionId = UUID.fromString(context.pathParam("sessionId"));
            } catch (RuntimeException e) {
                return CheckResult.rejectUpgrade(404);
            }
            Caller caller;
            try {
                caller = CallerResolver.of(identity, token.getToken());
            } catch (RuntimeException e) {
                return CheckResult.rejectUpgrade(401);
            }
            return Uni.createFrom().item(() -> {
                claims.claim(caller.subject(), caller.name());
                return repository.findSession(sessionId, caller.subject()).isPresent();
            })
                    .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                    .chain(owned -> {
                        if (!owned) {
                            return CheckResult.rejectUpgrade(404);
                        }
                        context.userData().put(SUBJECT, caller.subject());
                        context.userData().put(USER, caller.name());
                        context.userData().put(TOKEN, token.getToken());
                        return CheckResult.permitUpgrade();
                    });
        });
    }
}
