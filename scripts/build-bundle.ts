/** Writes dist/workflow-bundle.js so workers start without bundling (see workers/workflow-bundle.ts). */
import { buildWorkflowBundle } from '../workers/workflow-bundle';

buildWorkflowBundle().then(
  (path) => console.log(`workflow bundle written to ${path}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
