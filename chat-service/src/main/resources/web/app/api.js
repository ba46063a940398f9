// HTTP to chat-service's /v1 API with the session cookie; X-Requested-With makes an expired login answer 401/499
// instead of a redirect to Keycloak.
import { showError } from './notices.js';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, options = {}) {
  const headers = { 'X-Requested-With': 'JavaScript', ...(options.headers || {}) };
  if (options.body && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { credentials: 'same-origin', ...options, headers });
  if (res.status === 401 || res.status === 499) {
    showError('Your login has expired. <a href="/">Log in again</a> (your chats are kept).', true);
    throw new ApiError(res.status, 'login expired');
  }
  return res;
}

export async function failure(res) {
  const body = await res.json().catch(() => ({}));
  const message = (body.error && body.error.message) || ('the server answered HTTP ' + res.status);
  return new ApiError(res.status, message, body);
}

export async function json(path, options) {
  const res = await api(path, options);
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  return res.json();
}

