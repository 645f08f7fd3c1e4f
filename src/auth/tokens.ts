import { RESOURCE_ID_PATTERN } from '../lib/ids.js';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { ROLES, defaultColor, type Identity, type Role } from '../lib/identity.js';

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'color must be #rrggbb')
    .optional(),
  projects: z.record(z.string().regex(RESOURCE_ID_PATTERN), z.enum(ROLES)).default({}),
  scope: z.array(z.string()).optional(),
  exp: z.number().int(),
  /** Optional and never a reason to refuse a token: a malformed address is ignored. */
  email: z.unknown().optional(),
});

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export interface TokenVerifier {
  /** Resolves to the identity or rejects with AppError('unauthorized'). Never throws anything else. */
  verify(token: string | undefined | null): Promise<Identity>;
}

function keyOf(secret: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(secret);
}

/** Optional `iss` / `aud` a deployment pins (AUTH_ISSUER / AUTH_AUDIENCE). */
export interface TokenBinding {
  issuer?: string | undefined;
  audience?: string | undefined;
}

/**
 * HS256 verification with jose; `exp` is required and there is no leeway past it: the REST API,
 * /collaboration and /ws/* all use this one verifier, so a token expires at the same instant on
 * every path (tokens live hours; a skewed issuer clock only shortens them by the skew). With
 * `issuer` / `audience` set, a token must carry exactly those claims.
 */
export function createTokenVerifier(options: { secret: string } & TokenBinding): TokenVerifier {
  // Imported once: handed raw bytes, jose imports a WebCrypto key on every verify, which was
  // most of a connection's handshake cost (profile of 2,000 connections).
  const key = crypto.subtle.importKey('raw', keyOf(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return {
    async verify(token) {
      if (!token) throw new AppError('unauthorized', 'No token was presented');
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, await key, {
          algorithms: ['HS256'],
          requiredClaims: ['exp', 'sub'],
          clockTolerance: 0,
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
        }));
      } catch (error) {
        const reason =
          error instanceof joseErrors.JWTExpired
            ? 'The token has expired'
            : error instanceof joseErrors.JWSSignatureVerificationFailed
              ? 'The token signature is invalid'
              : error instanceof joseErrors.JWTClaimValidationFailed
                ? `The token's ${error.claim} claim is missing or not accepted here`
                : 'The token is malformed or was not signed with HS256';
        throw new AppError('unauthorized', reason);
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) {
        throw new AppError('unauthorized', 'The token claims are invalid', {
          issues: claims.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      }
      const c = claims.data;
      return {
        userId: c.sub,
        name: c.name,
        color: c.color ?? defaultColor(c.sub),
        projects: c.projects,
        admin: c.scope?.includes('admin') ?? false,
        expiresAt: c.exp * 1000,
        ...(typeof c.email === 'string' && EMAIL.test(c.email) ? { email: c.email } : {}),
      };
    },
  };
}

export interface TokenInput extends TokenBinding {
  userId: string;
  name: string;
  color?: string;
  projects?: Record<string, Role>;
  admin?: boolean;
  email?: string;
  /** Seconds until expiry; default 12 h. */
  expiresInSeconds?: number;
}

/** Mints a token in the fixed claim format. Used by `npm run token`, dev login and tests. */
export async function signToken(secret: string, input: TokenInput, nowMs = Date.now()): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const claims: Record<string, unknown> = { name: input.name, projects: input.projects ?? {} };
  if (input.color) claims.color = input.color;
  if (input.email) claims.email = input.email;
  if (input.admin) claims.scope = ['admin'];
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (input.expiresInSeconds ?? 12 * 3600));
  if (input.issuer) jwt.setIssuer(input.issuer);
  if (input.audience) jwt.setAudience(input.audience);
  return jwt.sign(keyOf(secret));
}
