// The form of an IAM principal as Google's setIamPolicy checks it (policy.proto's member identifiers). Pure,
// so the API (apis/iam-policy.ts, which adds the checks that need the store), the admin API behind
// `authplane iam add` and the config's iam.bindings all refuse the same members with the same words.

/** `user:`, `serviceAccount:`, `group:` members: the type and the email. */
const EMAIL_MEMBER = /^(user|serviceAccount|group):(.+)$/;
const EMAIL = /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/;
const DOMAIN = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const FEDERATED = /^principal(Set)?:\/\/\S+$/;
/** `deleted:` members are what Google shows for deleted principals. */
const DELETED = /^deleted:(user|serviceAccount|group):[^\s@]+@[^\s@]+\?uid=\d+$/;

/** Google's answer to a member without a known `type:` prefix (recorded: gcloud add-iam-policy-binding, 2025). */
export const MEMBER_FORM = 'Policy members must be of the form "<type>:<value>".';
export const MEMBER_FORM_DETAIL = "Policy members must be prefixed of the form '<type>:<value>', where <type> is 'domain', 'group', 'serviceAccount', or 'user'.";

export type EmailMemberType = 'user' | 'serviceAccount' | 'group';

/** Why Google's setIamPolicy refuses a member's form: its words, and what to write instead. */
export interface MemberFormRefusal {
  /** Google's message (e.g. "User nobody does not exist."). */
  readonly message: string;
  /** true: the member has no `type:` prefix Google knows (answered with a BadRequest field violation). */
  readonly noType: boolean;
  readonly fix: string;
}

/** A `user:`/`serviceAccount:`/`group:` member's type and email (undefined for any other member). */
export function emailMember(member: string): { type: EmailMemberType; email: string } | undefined {
  const e = EMAIL_MEMBER.exec(member);
  return e ? { type: e[1] as EmailMemberType, email: e[2]! } : undefined;
}

/**
 * What Google's setIamPolicy says about `member`'s form, or undefined when the form is good. Recorded:
 * `User nobody does not exist.` for user:nobody, `Domain x does not exist.`; Google names the kind of
 * account it could not find ("User x", "Service account x", "Group x"). Whether an account exists is the
 * caller's check (it needs the store).
 */
export function memberFormRefusal(member: string): MemberFormRefusal | undefined {
  if (member === 'allUsers' || member === 'allAuthenticatedUsers' || FEDERATED.test(member) || DELETED.test(member)) return undefined;
  if (member.startsWith('domain:')) {
    const domain = member.slice('domain:'.length);
    return DOMAIN.test(domain) ? undefined : { message: `Domain ${domain} does not exist.`, noType: false, fix: 'write a domain name, e.g. domain:example.com' };
  }
  const e = emailMember(member);
  if (!e) return { message: MEMBER_FORM, noType: true, fix: 'write user:EMAIL, serviceAccount:EMAIL, group:EMAIL, domain:DOMAIN, allUsers or allAuthenticatedUsers' };
  if (EMAIL.test(e.email)) return undefined;
  const kind = e.type === 'serviceAccount' ? 'Service account' : e.type === 'user' ? 'User' : 'Group';
  return { message: `${kind} ${e.email} does not exist.`, noType: false, fix: `write the whole email address, e.g. ${e.type}:${e.type === 'serviceAccount' ? 'NAME@PROJECT.iam.gserviceaccount.com' : 'bob@example.com'}` };
}
