import { z } from 'zod';

/**
 * The parts of EPCIS 2.0 JSON-LD that Dockside reads. Objects are loose: vendor extensions
 * (`example:myField`, `ext1:…`) and fields we do not map pass through untouched.
 */
export const EPCIS_EVENT_TYPES = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
] as const;

const idRef = z.looseObject({ id: z.string().min(1) });
const quantityElement = z.looseObject({
  epcClass: z.string().min(1),
  quantity: z.number().finite().nonnegative().optional(),
  uom: z.string().optional(),
});
const epcs = z.array(z.string().min(1)).optional();
const quantities = z.array(quantityElement).optional();

export const epcisEventSchema = z.looseObject({
  type: z.enum(EPCIS_EVENT_TYPES),
  eventTime: z.iso.datetime({ offset: true }),
  // refine, not regex: the message then reaches the rejection reason as the 'expected' part.
  eventTimeZoneOffset: z
    .string()
    .refine((s) => /^[+-](0\d|1[0-4]):[0-5]\d$/.test(s), { message: 'an offset ±HH:MM' }),
  eventID: z.string().min(1).optional(),
  recordTime: z.string().optional(),
  action: z.string().optional(),
  bizStep: z.string().optional(),
  disposition: z.string().optional(),
  readPoint: idRef.optional(),
  bizLocation: idRef.optional(),
  bizTransactionList: z
    .array(z.looseObject({ type: z.string().optional(), bizTransaction: z.string().min(1) }))
    .optional(),
  parentID: z.string().min(1).optional(),
  epcList: epcs,
  childEPCs: epcs,
  inputEPCList: epcs,
  outputEPCList: epcs,
  quantityList: quantities,
  childQuantityList: quantities,
  inputQuantityList: quantities,
  outputQuantityList: quantities,
  sensorElementList: z.array(z.unknown()).optional(),
  sourceList: z.array(z.unknown()).optional(),
  destinationList: z.array(z.unknown()).optional(),
  errorDeclaration: z
    .looseObject({
      declarationTime: z.iso.datetime({ offset: true }),
      reason: z.string().optional(),
      correctiveEventIDs: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});
export type EpcisEvent = z.output<typeof epcisEventSchema>;

const eventList = z.array(z.unknown());

export const epcisDocumentSchema = z.looseObject({
  type: z.enum(['EPCISDocument', 'EPCISQueryDocument']),
  epcisBody: z.looseObject({
    eventList: eventList.optional(),
    queryResults: z.looseObject({ resultsBody: z.looseObject({ eventList }) }).optional(),
  }),
});
