import { S3Client } from '@aws-sdk/client-s3';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Readable } from 'node:stream';
import { s3ClientConfig, type AwsTarget } from '../../core/aws.ts';

export type DeleteFault = 'slow-down' | 'all-keys-internal-error' | 'access-denied' | 'pass';

function xmlResponse(statusCode: number, body: string): { response: HttpResponse } {
  return {
    response: new HttpResponse({
      statusCode,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'injected' },
      body: Readable.from([Buffer.from(body)]),
    }),
  };
}

function requestKeys(request: HttpRequest): string[] {
  const body =
    typeof request.body === 'string' ? request.body : Buffer.from(request.body as Uint8Array).toString();
  return [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
}

/**
 * A real S3 client against the moto server whose HTTP layer answers chosen DeleteObjects calls
 * itself, the way S3 does under load: a 503 SlowDown, or a 200 whose body reports every key as
 * an InternalError. The SDK parses these answers exactly as it parses S3's own.
 */
export function faultyS3Client(target: AwsTarget, plan: (call: number) => DeleteFault) {
  const real = new NodeHttpHandler();
  let call = 0;
  const log: DeleteFault[] = [];
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: HttpRequest, options?: { abortSignal?: AbortSignal }) {
      const isDeleteObjects = request.method === 'POST' && 'delete' in (request.query ?? {});
      if (!isDeleteObjects) return real.handle(request, options);
      const fault = plan(call);
      call += 1;
      log.push(fault);
      switch (fault) {
        case 'slow-down':
          return xmlResponse(
            503,
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
          );
        case 'access-denied':
          return xmlResponse(
            403,
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
          );
        case 'all-keys-internal-error': {
          const errors = requestKeys(request)
            .map(
              (key) =>
                `<Error><Key>${key}</Key><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`,
            )
            .join('');
          return xmlResponse(
            200,
            `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`,
          );
        }
        default:
          return real.handle(request, options);
      }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {
      real.destroy();
    },
  };
  // No SDK-level retries: the retries under test are cleanup's own.
  const client = new S3Client({ ...s3ClientConfig(target), maxAttempts: 1, requestHandler: handler });
  return { client, log };
}
