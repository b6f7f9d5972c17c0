import type { SecurityApi, SecurityNotice } from '../security-api.ts';
import { postJson } from './http.ts';

/**
 * The security team's API over HTTPS: the manual's JSON, an `Authorization` header read from
 * Secrets Manager when configured, the same `Idempotency-Key` on every retry of one incident.
 */
export class HttpSecurityApi implements SecurityApi {
  constructor(
    private readonly url: string,
    private readonly authorization?: () => Promise<string>,
  ) {}

  async notify(notice: SecurityNotice): Promise<void> {
    const auth = this.authorization ? await this.authorization() : undefined;
    await postJson(this.url, notice, {
      'idempotency-key': notice.idempotencyKey,
      ...(auth ? { authorization: auth } : {}),
    });
  }
}
