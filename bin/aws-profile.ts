// The region of a shared-config profile, as the AWS CLI reads it: `[profile NAME]` (or
// `[default]`) in AWS_CONFIG_FILE, else ~/.aws/config. `--profile eu` then calls eu-west-1 when
// the profile says so, unless AWS_REGION or AWS_DEFAULT_REGION (or --region) says otherwise.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function profileRegion(profile: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.AWS_CONFIG_FILE ?? join(env.HOME ?? homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      inSection = wanted.includes(section[1]!.replace(/\s+/g, ' '));
      continue;
    }
    const pair = /^region\s*=\s*(\S+)$/.exec(line);
    if (inSection && pair) return pair[1];
  }
  return undefined;
}
