import { isRecord } from './http-util.ts';

/**
 * The org's data model in the Salesforce contract server: declared fields per sObject (a name not
 * declared is INVALID_FIELD, as in a real org), external id fields, restricted picklists, required fields,
 * and the validation of a write body. Field names are case-insensitive, as in the REST API.
 */

export type SfValue = string | number | boolean | null;
export type SfRecord = Record<string, SfValue>;

export interface SfError {
  readonly message: string;
  readonly errorCode: string;
  readonly fields: readonly string[];
}

export interface ObjectDef {
  readonly keyPrefix: string;
  readonly fields: readonly string[];
  readonly externalIds: readonly string[];
  readonly required?: readonly string[];
  readonly picklists?: Readonly<Record<string, readonly string[]>>;
  readonly dates?: readonly string[];
  /** Lookup fields that must name an existing record. */
  readonly references?: readonly string[];
  readonly defaults?: Readonly<SfRecord>;
}

export const defaultObjects: Readonly<Record<string, ObjectDef>> = {
  Account: {
    keyPrefix: '001',
    fields: [
      'Id',
      'Name',
      'OwnerId',
      'Type',
      'Industry',
      'Region__c',
      'Customer_Tier__c',
      'Ops_Risk_Level__c',
      'Ops_Risk_Reason__c',
      'Dockside_Customer_Id__c',
    ],
    externalIds: ['Dockside_Customer_Id__c'],
    required: ['Name'],
  },
  Task: {
    keyPrefix: '00T',
    fields: [
      'Id',
      'WhatId',
      'OwnerId',
      'Subject',
      'Description',
      'Priority',
      'Status',
      'ActivityDate',
      'Dockside_Action_Id__c',
    ],
    externalIds: ['Dockside_Action_Id__c'],
    picklists: {
      Priority: ['High', 'Normal', 'Low'],
      Status: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
    },
    dates: ['ActivityDate'],
    references: ['WhatId'],
    defaults: { Priority: 'Normal', Status: 'Not Started' },
  },
};

export const sfError = (errorCode: string, message: string, fields: readonly string[] = []): SfError => ({
  message,
  errorCode,
  fields,
});

/** The declared spelling of `name` on the object, or undefined. */
export function canonicalField(def: ObjectDef, name: string): string | undefined {
  const lower = name.toLowerCase();
  return def.fields.find((f) => f.toLowerCase() === lower);
}

export const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** An 18-character id with the object's key prefix (the last 3 characters stand in for the checksum). */
export function newId(def: ObjectDef, n: number): string {
  return `${def.keyPrefix}${n.toString(36).toUpperCase().padStart(12, '0')}AAA`;
}

/**
 * Validates a create/update body against the object; returns the record changes with canonical names,
 * or the error Salesforce would answer (status 400).
 */
export function validateWrite(
  object: string,
  def: ObjectDef,
  body: unknown,
  exists: (id: string) => boolean,
): { ok: true; changes: SfRecord } | { ok: false; error: SfError } {
  if (!isRecord(body)) {
    return {
      ok: false,
      error: sfError('JSON_PARSER_ERROR', `Cannot deserialize instance of ${object} from a non-object value`),
    };
  }
  const changes: SfRecord = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'attributes') continue;
    const field = canonicalField(def, name);
    if (!field) {
      return {
        ok: false,
        error: sfError('INVALID_FIELD', `No such column '${name}' on sobject of type ${object}`),
      };
    }
    if (field === 'Id') {
      return {
        ok: false,
        error: sfError(
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          'Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
          ['Id'],
        ),
      };
    }
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      return {
        ok: false,
        error: sfError('JSON_PARSER_ERROR', `Cannot deserialize value of ${field} from an object or array`),
      };
    }
    const v = value as SfValue;
    const picklist = def.picklists?.[field];
    if (picklist && v !== null && !picklist.includes(String(v))) {
      return {
        ok: false,
        error: sfError(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field}: bad value for restricted picklist field: ${String(v)}`,
          [field],
        ),
      };
    }
    if (def.dates?.includes(field) && v !== null && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) {
      return {
        ok: false,
        error: sfError(
          'JSON_PARSER_ERROR',
          `Cannot deserialize value of type \`java.util.Date\` from String "${String(v)}"`,
        ),
      };
    }
    if (def.references?.includes(field) && v !== null && !exists(String(v))) {
      return {
        ok: false,
        error: sfError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [field]),
      };
    }
    changes[field] = v;
  }
  return { ok: true, changes };
}

/** REQUIRED_FIELD_MISSING for a create that lacks a required field, else undefined. */
export function missingRequired(def: ObjectDef, record: SfRecord): SfError | undefined {
  const missing = (def.required ?? []).filter(
    (f) => record[f] === undefined || record[f] === null || record[f] === '',
  );
  return missing.length > 0
    ? sfError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing)
    : undefined;
}
