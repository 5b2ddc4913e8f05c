/**
 * The K-Link session: one login, shared by every call of the process.
 *
 * K-Link authenticates with a "token satu sesi" from POST /auth/login {email, password}; every
 * other call sends it raw in `Authorization` (no scheme: the document's header is
 * `Authorization : << token dynamic login >>`). The document does not say how long a token lives
 * or how an expired one is refused, so the token is cached until K-Link refuses it, then the
 * caller `invalidate`s it and the next `token()` logs in again.
 *
 * - Single flight: concurrent callers share one in-flight login, so 20 payments starting at once
 *   make one login, not 20 (a provider may well rate-limit or revoke on login storms).
 * - `invalidate(token)` drops the token only if it is still the current one: two calls that were
 *   both refused the same old token cause one re-login, not two.
 * - A failed login is not cached: the next caller tries again.
 * - The password and the token go to the HTTP layer as `secrets`, and every message we keep is
 *   redacted with them: neither can appear in an error or a log line.
 */
import { ProviderProtocolError } from '../http/errors';
import { sendSignedRequest } from '../http/signed-request';
import { LoginRequest, LoginSuccess } from './schemas';
import { classifyFailMessage, failRejection, readAnswer } from './status';

export const KLINK_LOGIN_PATH = '/auth/login';

export interface KLinkSessionConfig {
  baseUrl: string;
  email: string;
  password: string;
  timeoutMs: number;
}

export class KLinkSession {
  private current: string | undefined;
  private inflight: Promise<string> | undefined;
  private logins = 0;

  constructor(private readonly config: KLinkSessionConfig) {}

  /** How many login requests this session has sent (for tests and metrics). */
  get loginCount(): number {
    return this.logins;
  }

  /** The current token, logging in first if there is none; concurrent callers share one login. */
  token(): Promise<string> {
    if (this.current !== undefined) return Promise.resolve(this.current);
    if (!this.inflight) {
      this.inflight = this.login()
        .then((token) => {
          this.current = token;
          return token;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  /** K-Link refused `token`: forget it, unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.current === token) this.current = undefined;
  }

  /** Secrets this session knows, for redacting messages: the password and the current token. */
  secrets(): Array<string | undefined> {
    return [this.config.password, this.current];
  }

  private async login(): Promise<string> {
    this.logins += 1;
    const body = LoginRequest.parse({ email: this.config.email, password: this.config.password });
    const secrets = [this.config.password];
    const res = await sendSignedRequest({
      provider: 'klink',
      operation: 'login',
      baseUrl: this.config.baseUrl,
      method: 'POST',
      path: KLINK_LOGIN_PATH,
      body,
      // Login itself carries no header: the credentials are the body.
      sign: () => ({}),
      timeoutMs: this.config.timeoutMs,
      secrets,
    });
    // Wrong credentials: HTTP 401 {status:'fail'} (wire contract); a bare 401 means the same.
    if (res.status === 401) {
      const message = typeof res.json === 'object' && res.json !== null ? readMessage(res.json) : '';
      throw failRejection(
        'login',
        { httpStatus: 401, message },
        classifyFailMessage('login', message),
        secrets,
      );
    }
    const answer = readAnswer('login', res, { secrets });
    if (answer.kind === 'fail')
      throw failRejection('login', answer, classifyFailMessage('login', answer.message), secrets);
    const parsed = LoginSuccess.safeParse(answer.body);
    // The detail names the missing field, never the body: a token in it must not reach a log.
    if (!parsed.success)
      throw new ProviderProtocolError('klink', 'login', res.status, 'success without an Authorization token');
    return parsed.data.token;
  }
}

function readMessage(json: object): string {
  const message = (json as { message?: unknown }).message;
  return typeof message === 'string' ? message : '';
}
