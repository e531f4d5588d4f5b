import type { ZendeskSimulatorOptions } from './options';

/**
 * The account's users, organizations and organization memberships, and what the Users,
 * Organizations and Organization Memberships APIs do to them: create-or-update matched on
 * `external_id` (then `email`, as Zendesk does for users), Zendesk's validation messages, custom
 * user fields under `user_fields`. A user's `organization_id` is its default membership's
 * organization: setting it moves the default membership there (the user's other memberships
 * stay), null ends it; a user's first membership is its default.
 */

export type Json = string | number | boolean | null;
export interface ZendeskUser {
  id: number;
  url: string;
  name: string;
  email: string | null;
  created_at: string;
  updated_at: string;
  time_zone: string;
  iana_time_zone: string;
  phone: string | null;
  locale: string;
  organization_id: number | null;
  role: 'end-user' | 'agent' | 'admin';
  verified: boolean;
  external_id: string | null;
  tags: string[];
  alias: string | null;
  active: boolean;
  suspended: boolean;
  notes: string | null;
  details: string | null;
  user_fields: Record<string, Json>;
}
export interface ZendeskOrganization {
  id: number;
  url: string;
  name: string;
  external_id: string | null;
  created_at: string;
  updated_at: string;
  details: string | null;
  notes: string | null;
  tags: string[];
}

export interface ZendeskMembership {
  id: number;
  url: string;
  user_id: number;
  organization_id: number;
  /** True for the user's default membership; null otherwise (Zendesk's "if false, returns null"). */
  default: true | null;
  view_tickets: boolean;
  created_at: string;
  updated_at: string;
}

/** A refused record, as a job result or a 422 body carries it. */
export class RecordInvalid extends Error {
  constructor(
    readonly error: string,
    readonly details: string,
  ) {
    super(details);
  }
}

export interface WriteEntry {
  external_id: string | null;
  action: 'created' | 'updated' | 'deleted';
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ROLES = new Set(['end-user', 'agent', 'admin']);
const WRITABLE = [
  'name',
  'email',
  'phone',
  'time_zone',
  'locale',
  'role',
  'alias',
  'notes',
  'details',
] as const;

const stamp = (now: number) => `${new Date(now).toISOString().slice(0, 19)}Z`;

export class ZendeskStore {
  users = new Map<number, ZendeskUser>();
  orgs = new Map<number, ZendeskOrganization>();
  memberships = new Map<number, ZendeskMembership>();
  private seq = 360_000_000_000;
  /** Every user write, in order, for tests that ask exactly what changed. */
  writes: WriteEntry[] = [];
  counters = { created: 0, updated: 0, failed: {} as Record<string, number> };

  constructor(
    private readonly opts: ZendeskSimulatorOptions,
    private base: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  reset(): void {
    this.users.clear();
    this.orgs.clear();
    this.memberships.clear();
    this.writes = [];
    this.counters = { created: 0, updated: 0, failed: {} };
  }

  private nextId(): number {
    this.seq += 1 + (this.seq % 7);
    return this.seq;
  }

  userByExternalId(ext: string): ZendeskUser | undefined {
    for (const u of this.users.values()) if (u.external_id === ext) return u;
    return undefined;
  }

  private userByEmail(email: string): ZendeskUser | undefined {
    const e = email.toLowerCase();
    for (const u of this.users.values()) if (u.email?.toLowerCase() === e) return u;
    return undefined;
  }

  orgByExternalId(ext: string): ZendeskOrganization | undefined {
    for (const o of this.orgs.values()) if (o.external_id === ext) return o;
    return undefined;
  }

  fail(e: RecordInvalid): never {
    this.counters.failed[e.error] = (this.counters.failed[e.error] ?? 0) + 1;
    throw e;
  }

  /** One user of create_or_update(_many): matched on external_id, else email. */
  upsertUser(input: unknown): { user: ZendeskUser; created: boolean } {
    if (!input || typeof input !== 'object' || Array.isArray(input))
      this.fail(new RecordInvalid('InvalidValue', 'User: must be an object'));
    const u = input as Record<string, unknown>;
    const ext = u.external_id === undefined || u.external_id === null ? null : String(u.external_id);
    const existing =
      (ext ? this.userByExternalId(ext) : undefined) ??
      (typeof u.email === 'string' ? this.userByEmail(u.email) : undefined);
    const now = stamp(this.now());
    const next: ZendeskUser = existing
      ? structuredClone(existing)
      : {
          id: this.nextId(),
          url: '',
          name: '',
          email: null,
          created_at: now,
          updated_at: now,
          time_zone: 'Pacific Time (US & Canada)',
          iana_time_zone: 'America/Los_Angeles',
          phone: null,
          locale: 'en-US',
          organization_id: null,
          role: 'end-user',
          verified: false,
          external_id: ext,
          tags: [],
          alias: null,
          active: true,
          suspended: false,
          notes: null,
          details: null,
          user_fields: Object.fromEntries(this.opts.userFields.map((f) => [f.key, null])),
        };
    next.url = `${this.base()}/api/v2/users/${next.id}.json`;
    if (ext) next.external_id = ext;
    for (const k of WRITABLE) if (u[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = u[k];
    if (typeof u.suspended === 'boolean') next.suspended = u.suspended;
    if (Array.isArray(u.tags)) next.tags = u.tags.map(String);
    if (u.organization_id !== undefined) {
      if (u.organization_id !== null && !this.orgs.has(Number(u.organization_id)))
        this.fail(new RecordInvalid('RecordInvalid', `Organization: ${u.organization_id} does not exist`));
      next.organization_id = u.organization_id === null ? null : Number(u.organization_id);
    }
    if (u.user_fields && typeof u.user_fields === 'object') {
      for (const [k, v] of Object.entries(u.user_fields as Record<string, unknown>)) {
        const def = this.opts.userFields.find((f) => f.key === k);
        // Zendesk ignores keys that name no user field.
        if (!def) continue;
        next.user_fields[k] = this.fieldValue(def.type, k, v);
      }
    }
    if (!next.name || String(next.name).trim() === '')
      this.fail(new RecordInvalid('RecordInvalid', 'Name: is too short (minimum is 1 character)'));
    if (next.email !== null && (typeof next.email !== 'string' || !EMAIL.test(next.email)))
      this.fail(new RecordInvalid('RecordInvalid', `Email: ${String(next.email)} is not properly formatted`));
    if (next.email) {
      const other = this.userByEmail(next.email);
      if (other && other.id !== next.id)
        this.fail(
          new RecordInvalid('RecordInvalid', `Email: ${next.email} is already being used by another user`),
        );
    }
    if (!ROLES.has(next.role))
      this.fail(new RecordInvalid('RecordInvalid', `Role: ${next.role} is not valid`));
    const changed =
      !existing ||
      JSON.stringify({ ...existing, updated_at: 0 }) !== JSON.stringify({ ...next, updated_at: 0 });
    if (changed) next.updated_at = now;
    this.users.set(next.id, next);
    if (u.organization_id !== undefined) this.moveDefault(next.id, next.organization_id);
    this.writes.push({ external_id: next.external_id, action: existing ? 'updated' : 'created' });
    existing ? this.counters.updated++ : this.counters.created++;
    return { user: next, created: !existing };
  }

  private fieldValue(type: string, key: string, v: unknown): Json {
    if (v === null || v === '') return null;
    const bad = () =>
      this.fail(new RecordInvalid('RecordInvalid', `${key}: ${String(v)} is not a valid ${type}`));
    switch (type) {
      case 'date':
        return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : bad();
      case 'checkbox':
        return typeof v === 'boolean' ? v : bad();
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v) ? v : bad();
      default:
        return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : bad();
    }
  }

  /** DELETE users/{id}: the user is gone from lists and lookups; the answer shows it inactive. */
  deleteUser(id: number): ZendeskUser | undefined {
    const u = this.users.get(id);
    if (!u) return undefined;
    this.users.delete(id);
    for (const m of this.membershipsOf(id)) this.memberships.delete(m.id);
    this.writes.push({ external_id: u.external_id, action: 'deleted' });
    return { ...u, active: false };
  }

  /** POST organizations/create_or_update: matched on id, then external_id. */
  upsertOrg(input: unknown): { org: ZendeskOrganization; created: boolean } {
    const o = (input ?? {}) as Record<string, unknown>;
    const ext = o.external_id === undefined || o.external_id === null ? null : String(o.external_id);
    const existing =
      (o.id !== undefined ? this.orgs.get(Number(o.id)) : undefined) ??
      (ext ? this.orgByExternalId(ext) : undefined);
    const name = o.name === undefined ? existing?.name : String(o.name);
    if (!name?.trim()) throw new RecordInvalid('RecordInvalid', 'Name: cannot be blank');
    for (const other of this.orgs.values())
      if (other.name.toLowerCase() === name.toLowerCase() && other.id !== existing?.id)
        throw new RecordInvalid('RecordInvalid', 'Name: has already been taken');
    const now = stamp(this.now());
    const id = existing?.id ?? this.nextId();
    const org: ZendeskOrganization = {
      id,
      url: `${this.base()}/api/v2/organizations/${id}.json`,
      name,
      external_id: ext ?? existing?.external_id ?? null,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      details: (o.details as string | undefined) ?? existing?.details ?? null,
      notes: (o.notes as string | undefined) ?? existing?.notes ?? null,
      tags: existing?.tags ?? [],
    };
    this.orgs.set(id, org);
    return { org, created: !existing };
  }

  /** A user's memberships: the default first, then by organization name (as Zendesk lists them). */
  membershipsOf(userId: number): ZendeskMembership[] {
    const name = (m: ZendeskMembership) => this.orgs.get(m.organization_id)?.name ?? '';
    return [...this.memberships.values()]
      .filter((m) => m.user_id === userId)
      .sort(
        (a, b) => Number(Boolean(b.default)) - Number(Boolean(a.default)) || name(a).localeCompare(name(b)),
      );
  }

  /** A membership as the API shows it, with its organization's current name. */
  membershipView(m: ZendeskMembership): ZendeskMembership & { organization_name: string | null } {
    return { ...m, organization_name: this.orgs.get(m.organization_id)?.name ?? null };
  }

  /** The user's organization_id follows its default membership. */
  private syncUser(userId: number): void {
    const u = this.users.get(userId);
    if (!u) return;
    let list = this.membershipsOf(userId);
    if (list.length && !list.some((m) => m.default)) {
      list[0]!.default = true;
      list = this.membershipsOf(userId);
    }
    u.organization_id = list.find((m) => m.default)?.organization_id ?? null;
  }

  /** `organization_id` written on a user: its default membership moves to that organization, or ends (null). */
  private moveDefault(userId: number, orgId: number | null): void {
    const list = this.membershipsOf(userId);
    const current = list.find((m) => m.default);
    if (current?.organization_id === orgId) return;
    if (current) this.memberships.delete(current.id);
    if (orgId !== null) {
      const there = list.find((m) => m.organization_id === orgId);
      for (const m of list) m.default = null;
      if (there) there.default = true;
      else this.addMembership(userId, orgId, true);
    }
    this.syncUser(userId);
  }

  private addMembership(userId: number, orgId: number, isDefault: boolean): ZendeskMembership {
    const now = stamp(this.now());
    const id = this.nextId();
    const m: ZendeskMembership = {
      id,
      url: `${this.base()}/api/v2/organization_memberships/${id}.json`,
      user_id: userId,
      organization_id: orgId,
      default: isDefault ? true : null,
      view_tickets: false,
      created_at: now,
      updated_at: now,
    };
    this.memberships.set(id, m);
    return m;
  }

  /** POST organization_memberships (and each of create_many): 422 when the user is already a member. */
  createMembership(input: unknown): ZendeskMembership {
    const o = (input ?? {}) as Record<string, unknown>;
    const userId = Number(o.user_id);
    const orgId = Number(o.organization_id);
    if (!this.users.has(userId)) throw new RecordInvalid('RecordInvalid', 'User: cannot be blank');
    if (!this.orgs.has(orgId)) throw new RecordInvalid('RecordInvalid', 'Organization: cannot be blank');
    const list = this.membershipsOf(userId);
    if (list.some((m) => m.organization_id === orgId))
      throw new RecordInvalid('DuplicateValue', 'User: is already a member of this organization');
    const isDefault = o.default === true || list.length === 0;
    if (isDefault) for (const m of list) m.default = null;
    const m = this.addMembership(userId, orgId, isDefault);
    this.syncUser(userId);
    return m;
  }

  /** DELETE organization_memberships/{id}: a default membership's place goes to the user's next one. */
  deleteMembership(id: number): ZendeskMembership | undefined {
    const m = this.memberships.get(id);
    if (!m) return undefined;
    this.memberships.delete(id);
    this.syncUser(m.user_id);
    return m;
  }

  /** PUT users/{user_id}/organization_memberships/{id}/make_default. */
  makeDefault(userId: number, id: number): ZendeskMembership | undefined {
    const m = this.memberships.get(id);
    if (!m || m.user_id !== userId) return undefined;
    for (const x of this.membershipsOf(userId)) x.default = null;
    m.default = true;
    m.updated_at = stamp(this.now());
    this.syncUser(userId);
    return m;
  }
}
