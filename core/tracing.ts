// Powertools Tracer for the Lambda functions: one per process, named by POWERTOOLS_SERVICE_NAME
// (set by lib/job-function.ts), a no-op outside Lambda (tests, the command line). `traced` adds
// an X-Ray subsegment to each call of an AWS SDK v3 client, so a trace shows which call was slow
// or failed. Only the handlers import this; the job code takes an `Instrument` (core/aws.ts).
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Instrument } from './aws.ts';

export const tracer = new Tracer();

export const traced: Instrument = (client) => tracer.captureAWSv3Client(client as never) as typeof client;
