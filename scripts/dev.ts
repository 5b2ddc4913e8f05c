/**
 * `npm start`: the whole engine locally, then the demo payments, then wait for Ctrl-C.
 *
 * TEMPORAL_ADDRESS set: use that cluster (no local server). A provider whose settings are all set
 * (common/provider-settings.ts: the same variables a worker and gateway started by hand read) is
 * talked to; one with none uses the sandbox; one with some stops the start with one line. The
 * banner says where each provider points. The demo runs only when every provider is the sandbox:
 * it arranges outcomes through the sandbox's control API, and would send real payments elsewhere.
 */
import { z } from 'zod';
import { codecEnv, exitOnConfigError, parseEnv, portSchema } from '../common/config';
import { configuredProviders, gatewayProviderEnv, workerProviderEnv } from '../common/provider-settings';
import { loadCodecKeys } from '../workers/codec-keys';
import { buildWorkflowBundle, currentBundlePath } from '../workers/workflow-bundle';
import { formatDemoTable, runDemo } from './demo';
import { startStack, type ProviderTarget } from './stack';

/** "  PPOB                http://127.0.0.1:8090/ppob  (sandbox)": a base URL, never a credential. */
function providerLine(p: ProviderTarget): string {
  const line = `  ${p.label.padEnd(19)} ${p.baseUrl}${p.sandbox ? '  (sandbox)' : ''}`;
  return p.note ? `${line}\n  ${' '.repeat(19)} ${p.note}` : line;
}

const devEnv = {
  ...codecEnv,
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('paysaga'),
  TEMPORAL_TASK_QUEUE: z.string().default('paysaga'),
  TEMPORAL_PORT: portSchema.default(7233),
  TEMPORAL_UI_PORT: portSchema.default(8233),
  GATEWAY_PORT: portSchema.default(8080),
  SANDBOX_PORT: portSchema.default(8090),
  // Checked here too, so a malformed value stops the start before anything is started.
  ...workerProviderEnv,
  ...gatewayProviderEnv,
  PAYSAGA_DEMO: z.enum(['0', '1']).default('1'),
};

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv(devEnv);
    configuredProviders(process.env, ['worker', 'gateway']);
  } catch (err) {
    exitOnConfigError(err);
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
    ui: !env.TEMPORAL_ADDRESS,
    // A worker or gateway that dies comes back by itself, and its death is logged.
    supervise: true,
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
      ...stack.providers.map(providerLine),
      `  Data                ${stack.dataDir}`,
      '',
    ].join('\n'),
  );

  const real = stack.providers.filter((p) => !p.sandbox);
  if (env.PAYSAGA_DEMO === '1' && real.length > 0) {
    console.log(
      `demo skipped: ${real.map((p) => p.label).join(', ')} ${real.length === 1 ? 'is a real provider' : 'are real providers'} (the demo would send them payments)`,
    );
  }
  if (stack.sandboxUrl && real.length === 0 && env.PAYSAGA_DEMO === '1') {
    console.log('running the demo payments ...');
    const payments = await runDemo({
      gatewayUrl: stack.gatewayUrl,
      sandboxUrl: stack.sandboxUrl,
      klink: stack.sandboxKLink && { baseUrl: stack.klinkBaseUrl, ...stack.sandboxKLink },
      apiToken: process.env.GATEWAY_API_TOKEN,
    }).catch(async (err) => {
      await stack.stop();
      throw err;
    });
    console.log(formatDemoTable(payments, uiWorkflows));
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
