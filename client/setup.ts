/**
 * Registers the namespace and the custom search attributes on a Temporal cluster that the
 * project did not start itself (the local dev server gets them as start-up flags). Idempotent:
 * what already exists is left as it is.
 */
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { PAYSAGA_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

export async function registerNamespaceAndSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<string[]> {
  const done: string[] = [];
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('7 days'),
    });
    done.push(`namespace ${namespace} registered`);
  } catch (err) {
    if (!/already exists|AlreadyExists/i.test(String(err))) throw err;
    done.push(`namespace ${namespace} already exists`);
  }
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = PAYSAGA_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED_TYPES[k.type]!])),
    });
  }
  done.push(
    `search attributes: ${missing.length} added, ${PAYSAGA_SEARCH_ATTRIBUTES.length - missing.length} already present`,
  );
  return done;
}
