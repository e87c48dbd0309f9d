/**
 * The local issuer's sign-in and consent page, server-rendered with no script and no external asset: the developer
 * picks a dev user and allows (or denies) the client the scopes it asked for.
 */
import type { DevUser } from '../dev-clients';
import { escapeHtml } from './http';

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.3rem}fieldset{border:1px solid #c8ccd0;border-radius:6px;margin:1rem 0}label{display:block;margin:.3rem 0}
code{background:#f1f3f5;padding:0 .25rem;border-radius:3px}.actions button{font-size:1rem;margin-right:.5rem;padding:.4rem 1rem}
.note{color:#57606a;font-size:.85rem}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function loginPage(options: {
  readonly requestId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly users: readonly DevUser[];
}): string {
  const users = options.users
    .map(
      (user, index) =>
        `<label><input type="radio" name="user" value="${escapeHtml(user.sub)}"${index === 0 ? ' checked' : ''} required> ${escapeHtml(user.name)} <code>${escapeHtml(user.sub)}</code> <span class="note">(${escapeHtml(user.scopes.join(' ') || 'no API scopes')})</span></label>`,
    )
    .join('');
  const scopes = options.scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(' ') || '<em>none</em>';
  return page(
    'Sign in: Portcullis local issuer',
    `<h1>Sign in to the Portcullis local issuer</h1>
<p><code>${escapeHtml(options.clientId)}</code> asks for: ${scopes}</p>
<form method="post" action="/authorize">
<input type="hidden" name="request" value="${escapeHtml(options.requestId)}">
<fieldset><legend>Dev user</legend>${users}</fieldset>
<p class="note">A user is granted only the requested scopes they hold. You will return to <code>${escapeHtml(options.redirectUri)}</code>.</p>
<div class="actions"><button type="submit" name="decision" value="allow" id="allow">Allow</button><button type="submit" name="decision" value="deny" id="deny">Deny</button></div>
</form>`,
  );
}

/** An error the user sees instead of a redirect (RFC 6749 section 4.1.2.1: never redirect to an unverified URI). */
export function errorPage(message: string): string {
  return page('Sign-in error: Portcullis local issuer', `<h1>Sign-in error</h1><p>${escapeHtml(message)}</p>`);
}
