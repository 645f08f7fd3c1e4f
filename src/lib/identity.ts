/**
 * The authenticated identity every adapter works with, decoded from the JWT (fixed contract):
 * `sub`, `name`, optional `color`, `projects` (project id -> role), optional `scope: ["admin"]`,
 * required `exp`.
 */
export const ROLES = ['owner', 'editor', 'reviewer', 'reader'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  userId: string;
  name: string;
  color: string;
  projects: Readonly<Record<string, Role>>;
  /** Service tokens with `scope: ["admin"]`. */
  admin: boolean;
  /** Expiry, milliseconds since the epoch. */
  expiresAt: number;
  /** The optional `email` claim (notifications remember it on first sight). */
  email?: string;
}

/** owner and editor write; reviewer and reader only read. */
export function canWrite(role: Role): boolean {
  return role === 'owner' || role === 'editor';
}

export function roleIn(identity: Identity, projectId: string): Role | undefined {
  return Object.hasOwn(identity.projects, projectId) ? identity.projects[projectId] : undefined;
}

/**
 * A stable color for users whose token carries none, so a writer keeps one caret color across
 * sessions and devices without the host application choosing one.
 */
export function defaultColor(userId: string): string {
  let hash = 0;
  for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0;
  const palette = ['#e11d48', '#db2777', '#9333ea', '#4f46e5', '#0284c7', '#0d9488', '#16a34a', '#ca8a04', '#ea580c', '#57534e'];
  return palette[hash % palette.length]!;
}
