'use server';
/** The Account page's API tokens: create one (shown once) and revoke one, for the signed-in user only. */
import { revalidatePath } from 'next/cache';
import { audit } from '@/lib/audit';
import { db } from '@/lib/db/client';
import { createApiToken, createTokenSchema, expirySchema, revokeApiToken, TokenError } from './api-tokens';
import { authorize, requireAction } from './guard';

export type TokenFormState =
  | { ok: true; token: string; name: string }
  | { ok: false; errors: { name?: string; role?: string; expires?: string; _?: string } }
  | null;

export async function createTokenAction(_prev: TokenFormState, form: FormData): Promise<TokenFormState> {
  const auth = await authorize('view');
  if (!auth.ok) return { ok: false, errors: { _: auth.message } };
  const rawExpires = String(form.get('expires') ?? '').trim();
  const expires = rawExpires ? expirySchema.safeParse(rawExpires) : null;
  if (expires && !expires.success) return { ok: false, errors: { expires: expires.error.issues[0]?.message } };
  const parsed = createTokenSchema.safeParse({ name: form.get('name'), role: form.get('role'), expiresInMs: expires?.data });
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const i of parsed.error.issues) errors[String(i.path[0] ?? '_')] ??= i.message;
    return { ok: false, errors };
  }
  try {
    const created = await createApiToken(db(), auth.user.id, parsed.data);
    await audit(auth.user, 'token.create', { type: 'token', id: created.id, name: created.name },
      `role ${created.role}${created.expiresAt ? `, expires ${created.expiresAt.toISOString()}` : ', no expiry'}`);
    revalidatePath('/account');
    return { ok: true, token: created.token, name: created.name };
  } catch (err) {
    if (err instanceof TokenError) return { ok: false, errors: { role: err.message } };
    throw err;
  }
}

export async function revokeTokenAction(form: FormData): Promise<void> {
  const auth = await requireAction('view');
  const id = String(form.get('id') ?? '');
  const revoked = await revokeApiToken(db(), auth.user.id, id);
  if (revoked) await audit(auth.user, 'token.revoke', { type: 'token', id, name: revoked.name });
  revalidatePath('/account');
}
