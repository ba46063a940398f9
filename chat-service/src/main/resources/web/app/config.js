// The limits the page checks before it sends, as chat-service checks them: read once from GET /ui/config (never
// copied here, so they cannot drift). Until they are read, or when they cannot be, the page checks nothing itself and
// the server's answer (400/413 with param) is shown at the field instead.
import { json } from './api.js';
import { state, store } from './store.js';

export async function loadLimits() {
  const body = await json('/ui/config');
  store.set({ limits: {
    correlationId: new RegExp('^(?:' + body.correlation_id_pattern + ')$'),
    maxMetadata: body.max_metadata,
    maxMetadataKey: body.max_metadata_key,
    maxMetadataValue: body.max_metadata_value,
    protectedOverrides: body.protected_override_keys || [],
    maxOverridesBytes: body.max_overrides_bytes,
    maxAttachments: body.max_attachments,
    maxAttachmentBytes: body.max_attachment_bytes,
  } });
  return state.limits;
}

/** The limits read, or none (every check passes: the server decides). */
export function limits() {
  return state.limits || {
    correlationId: null, maxMetadata: Infinity, maxMetadataKey: Infinity, maxMetadataValue: Infinity,
    protectedOverrides: [], maxOverridesBytes: Infinity, maxAttachments: Infinity, maxAttachmentBytes: Infinity,
  };
}
