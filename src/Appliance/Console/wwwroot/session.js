// The login session: POST/GET/DELETE /api/session. The server keeps the session in an HttpOnly
// cookie; the page never stores the credential (not in a URL, not in localStorage).

async function errorText(response) {
  try {
    const body = await response.json();
    if (body?.error) return body.error;
  } catch { /* not JSON */ }
  if (response.status === 404) return 'this service has no login endpoint (POST /api/session answered 404)';
  if (response.status === 429) return 'too many failed attempts; wait a minute and try again';
  return `the service answered ${response.status} ${response.statusText}`.trim();
}

/** Logs in; resolves to the session ({role, user_id, expires_at, expires_in}) or throws with the reason. */
export async function login(token, authType) {
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token, auth_type: authType }),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

/** The live session, or null with the reason when there is none (401). Throws when the service cannot be reached. */
export async function current() {
  const response = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
  if (response.ok) return { session: await response.json() };
  if (response.status === 401 || response.status === 404) return { session: null, reason: await errorText(response) };
  throw new Error(await errorText(response));
}

export async function logout() {
  const response = await fetch('/api/session', { method: 'DELETE', credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok && response.status !== 401) throw new Error(await errorText(response));
}
