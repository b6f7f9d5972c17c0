// The stack's SNS topics found by name (`<prefix>-alerts`, `<prefix>-page-<tier>`...), as a terminal
// finds them without the stack's outputs: every topic of the account and region, by its name.
import { ListTopicsCommand, type SNSClient } from '@aws-sdk/client-sns';

/** Topic name → ARN, every page of ListTopics. */
export async function topicArnsByName(sns: SNSClient): Promise<Map<string, string>> {
  const arns = new Map<string, string>();
  let next: string | undefined;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken: next }));
    for (const t of page.Topics ?? []) if (t.TopicArn) arns.set(t.TopicArn.split(':').pop()!, t.TopicArn);
    next = page.NextToken;
  } while (next);
  return arns;
}
