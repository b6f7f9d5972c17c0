// AWS's evaluation of one resource policy for one request, for the statements this stack writes:
// Principal (`*`, AWS ARNs, Service), Action with wildcards, and the condition operators it uses
// (String/Arn Equals/Like/NotEquals, Null, Bool). An explicit Deny wins; an Allow is needed
// unless the caller's own account grants it through identity policies (`identityAllows`).

export interface PolicyRequest {
  /** The calling principal: an IAM role/user ARN, or an AWS service (`cloudwatch.amazonaws.com`). */
  readonly principal: { arn: string } | { service: string };
  readonly action: string;
  /** Context keys as AWS sets them (aws:SourceAccount, aws:SourceArn, aws:SecureTransport ...). */
  readonly context: Record<string, string | undefined>;
}

type Statement = {
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

function principalMatches(statement: Statement, request: PolicyRequest): boolean {
  if (statement.Principal === '*') return true;
  if ('service' in request.principal)
    return list(statement.Principal.Service).includes(request.principal.service);
  const arn = request.principal.arn;
  return list(statement.Principal.AWS).some((p) => p === '*' || p === arn || glob(p, arn));
}

function conditionHolds(
  operator: string,
  key: string,
  wanted: string[],
  context: PolicyRequest['context'],
): boolean {
  const have = context[key];
  if (operator === 'Null') return (have === undefined) === (wanted[0] === 'true');
  if (have === undefined) return operator.startsWith('StringNot') || operator.startsWith('ArnNot');
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return wanted.includes(have);
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return !wanted.includes(have);
    case 'StringLike':
    case 'ArnLike':
      return wanted.some((w) => glob(w, have));
    case 'Bool':
      return wanted.includes(have);
    default:
      throw new Error(`condition operator ${operator} is not evaluated here`);
  }
}

function applies(statement: Statement, request: PolicyRequest): boolean {
  if (!principalMatches(statement, request)) return false;
  if (!list(statement.Action).some((a) => glob(a.toLowerCase(), request.action.toLowerCase()))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, pairs]) =>
    Object.entries(pairs).every(([key, wanted]) =>
      conditionHolds(operator, key, list(wanted), request.context),
    ),
  );
}

/** `allowed`, `denied` (an explicit Deny) or `implicit` (no statement allows it). */
export function evaluate(
  policy: { Statement: Statement[] },
  request: PolicyRequest,
  identityAllows = false,
): 'allowed' | 'denied' | 'implicit' {
  const effects = policy.Statement.filter((s) => applies(s, request)).map((s) => s.Effect);
  if (effects.includes('Deny')) return 'denied';
  if (effects.includes('Allow') || identityAllows) return 'allowed';
  return 'implicit';
}
