// Decoding (not verifying) a JWT to show what graft will read from it.

export const hasuraNamespace = 'https://hasura.io/jwt/claims';

export type DecodedJWT = {
  header: unknown;
  payload: Record<string, unknown>;
  /** claims are the Hasura claims, null when the payload has none. */
  claims: Record<string, unknown> | null;
  /** namespace is the payload key the claims were found under. */
  namespace: string | null;
};

function base64url(part: string, what: string): unknown {
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`the ${what} is not base64url-encoded JSON`);
  }
}

function claimsObject(v: unknown): Record<string, unknown> | null {
  if (typeof v === 'string') {
    // claims_format: stringified_json
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).some((k) => k.toLowerCase().startsWith('x-hasura-'))) return o;
  }
  return null;
}

/** decodeJWT decodes "Bearer <token>" or a bare token. */
export function decodeJWT(value: string): DecodedJWT {
  const token = value.trim().replace(/^bearer\s+/i, '');
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('a JWT has three parts separated by dots');
  const header = base64url(parts[0], 'header');
  const payload = base64url(parts[1], 'payload');
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new Error('the payload is not a JSON object');
  const p = payload as Record<string, unknown>;
  let claims = claimsObject(p[hasuraNamespace]);
  let namespace: string | null = claims ? hasuraNamespace : null;
  if (!claims) {
    // A custom claims_namespace: the first key holding x-hasura-* claims.
    for (const [k, v] of Object.entries(p)) {
      const c = claimsObject(v);
      if (c) {
        claims = c;
        namespace = k;
        break;
      }
    }
  }
  return { header, payload: p, claims, namespace };
}
