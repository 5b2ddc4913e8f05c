/**
 * `npm start`: the whole engine locally, then the demo payments, then wait for Ctrl-C.
 *
 * TEMPORAL_ADDRESS set: use that cluster (no local server). PRAKERJA_BASE_URL,
 * PRAKERJA_CLIENT_CODE and PRAKERJA_SIGN_KEY all set: talk to that provider (no sandbox, no demo).
 */
import { z } from 'zod';
import { codecEnv, ConfigError, exitOnConfigError, parseEnv, portSchema } from '../common/config';
import { loadCodecKeys } from '../workers/codec-keys';
import { buildWorkflowBundle, currentBundlePath } from '../workers/workflow-bundle';
import { runDemo } from './demo';
import { startStack } from './stack';

const devEnv = {
  ...codecEnv,
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('paysaga'),
  TEMPORAL_TASK_QUEUE: z.string().default('paysaga'),
  TEMPORAL_PORT: portSchema.default(7233),
  TEMPORAL_UI_PORT: portSchema.default(8233),
  GATEWAY_PORT: portSchema.default(8080),
  SANDBOX_PORT: portSchema.default(8090),
  PRAKERJA_BASE_URL: z.url().optional(),
  PRAKERJA_CLIENT_CODE: z.string().optional(),
  PRAKERJA_SIGN_KEY: z.string().optional(),
  KLINK_BASE_URL: z.url().optional(),
  KLINK_EMAIL: z.string().optional(),
  KLINK_PASSWORD: z.string().optional(),
  PAYSAGA_DEMO: z.enum(['0', '1']).default('1'),
};

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv(devEnv);
  } catch (err) {
    exitOnConfigError(err);
  }
  const prakerjaVars = [env.PRAKERJA_BASE_URL, env.PRAKERJA_CLIENT_CODE, env.PRAKERJA_SIGN_KEY];
  if (prakerjaVars.some(Boolean) && !prakerjaVars.every(Boolean)) {
    exitOnConfigError(
      new ConfigError(
        'configuration: set all of PRAKERJA_BASE_URL, PRAKERJA_CLIENT_CODE, PRAKERJA_SIGN_KEY, or none (sandbox)',
      ),
    );
  }
  const klinkVars = [env.KLINK_BASE_URL, env.KLINK_EMAIL, env.KLINK_PASSWORD];
  if (klinkVars.some(Boolean) && !klinkVars.every(Boolean)) {
    exitOnConfigError(
      new ConfigError(
        'configuration: set all of KLINK_BASE_URL, KLINK_EMAIL, KLINK_PASSWORD, or none (sandbox)',
      ),
    );
  }
  // Create the dev codec key once, before worker and gateway race to create it.
  loadCodecKeys(env, env.PAYSAGA_DATA_DIR);
  if (!currentBundlePath()) {
    console.log('building the workflow bundle ...');
    await buildWorkflowBundle();
  }

  const stack = await startStack({
    dataDir: env.PAYSAGA_DATA_DIR,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    temporalAddress: env.TEMPORAL_ADDRESS,
    ports: {
      temporal: env.TEMPORAL_PORT,
      ui: env.TEMPORAL_UI_PORT,
      gateway: env.GATEWAY_PORT,
      sandbox: env.SANDBOX_PORT,
    },
    prakerja: env.PRAKERJA_BASE_URL
      ? {
          baseUrl: env.PRAKERJA_BASE_URL,
          clientCode: env.PRAKERJA_CLIENT_CODE!,
          signKey: env.PRAKERJA_SIGN_KEY!,
        }
      : undefined,
    klink: env.KLINK_BASE_URL
      ? { baseUrl: env.KLINK_BASE_URL, email: env.KLINK_EMAIL!, password: env.KLINK_PASSWORD! }
      : undefined,
    ui: !env.TEMPORAL_ADDRESS,
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping paysaga ...');
    await stack.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const uiWorkflows = stack.uiUrl ? `${stack.uiUrl}/namespaces/${stack.namespace}/workflows` : undefined;
  console.log(
    [
      '',
      'paysaga is up',
      `  Temporal Web UI     ${uiWorkflows ?? '(remote cluster: use its own UI)'}`,
      `  Temporal            ${stack.temporalAddress} (namespace ${stack.namespace}, task queue ${stack.taskQueue})`,
      `  Gateway (REST, codec) ${stack.gatewayUrl}  (codec endpoint ${stack.gatewayUrl}/codec)`,
      `  Prakerja            ${stack.prakerjaBaseUrl}${stack.prakerjaBaseUrl.startsWith(stack.sandboxUrl ?? '-') ? '  (sandbox)' : ''}`,
      `  K-Link              ${stack.klinkBaseUrl}${stack.klinkBaseUrl.startsWith(stack.sandboxUrl ?? '-') ? '  (sandbox)' : ''}`,
      `  Data                ${stack.dataDir}`,
      '',
    ].join('\n'),
  );

  if (stack.sandboxUrl && stack.prakerjaBaseUrl.startsWith(stack.sandboxUrl) && env.PAYSAGA_DEMO === '1') {
    console.log('running the demo payments ...');
    const sandboxKLink =
      stack.sandboxKLink && stack.klinkBaseUrl.startsWith(stack.sandboxUrl)
        ? { baseUrl: stack.klinkBaseUrl, ...stack.sandboxKLink }
        : undefined;
    const payments = await runDemo({
      gatewayUrl: stack.gatewayUrl,
      sandboxUrl: stack.sandboxUrl,
      klink: sandboxKLink,
    }).catch(async (err) => {
      await stack.stop();
      throw err;
    });
    for (const p of payments) {
      console.log(`  ${p.status.padEnd(21)} ${p.workflowId.padEnd(40)} ${p.label}`);
      if (uiWorkflows) console.log(`  ${' '.repeat(21)} ${uiWorkflows}/${p.workflowId}`);
    }
    console.log(
      '\nList them: ./bin/paysaga.js list    Needs an operator: ./bin/paysaga.js list --needs-review',
    );
  }
  console.log('\nPress Ctrl-C to stop.');
}

main().catch((err) => {
  console.error(`paysaga: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
