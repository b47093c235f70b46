import { trucksOperation } from './http-trucks.ts';
import { GLOBAL_MODELS, LOCAL_MODELS } from './models/registry.ts';

/**
 * OpenAPI 3.1 description of the planner API, served at /api/forecasts/openapi.json.
 * Kept beside http.ts; the route tests check that every served path is described here.
 */
/** An array of objects with these properties. */
const arrayOf = (properties: object) => ({ type: 'array', items: { type: 'object', properties } });
const date = { type: 'string', format: 'date' };
const pageParams = [
  { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
  { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
];
const laneParams = [
  {
    name: 'lane',
    in: 'query',
    description: 'Lane, e.g. SP>RJ; unknown lanes answer 404',
    schema: { type: 'string' },
  },
  {
    name: 'warehouse',
    in: 'query',
    description: "Warehouse id ('' = all warehouses)",
    schema: { type: 'string' },
  },
  {
    name: 'measure',
    in: 'query',
    description: 'committed = shipments committed per day; shipped = ship scans per day',
    schema: { type: 'string', enum: ['committed', 'shipped'], default: 'committed' },
  },
];
const models = {
  type: 'string',
  enum: [...LOCAL_MODELS, ...GLOBAL_MODELS, 'selected', 'ensemble'],
};
const error = {
  description: 'Bad request (400), unknown lane (404) or rate limited (429)',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: {
              code: { type: 'string' },
              message: { type: 'string', examples: ['horizon: got 0, expected an integer 1..365'] },
              issues: arrayOf({ field: { type: 'string' }, value: {}, expected: { type: 'string' } }),
            },
          },
          requestId: { type: 'string' },
        },
      },
    },
  },
};
/** 400, 404 and 429 answer the same error body. */
const errors = { 400: error, 404: error, 429: error };
const nullableNumber = { type: ['number', 'null'] };
const scores = {
  type: 'object',
  properties: { mape: nullableNumber, wape: nullableNumber, mase: nullableNumber },
};
/** A JSON page whose items are objects with these properties. */
const paged = (properties: object) => ({
  'application/json': {
    schema: {
      type: 'object',
      properties: {
        measure: { type: 'string' },
        page: { type: 'integer' },
        pageSize: { type: 'integer' },
        total: { type: 'integer' },
        nextPage: { type: ['integer', 'null'] },
        data: { type: 'array', items: { type: 'object', properties } },
      },
    },
  },
});
/** What names the run behind an answer. */
const runProps = {
  lane: { type: 'string' },
  warehouse: { type: 'string' },
  runId: { type: 'string' },
  createdAt: { type: 'string', format: 'date-time' },
};
/** A model's backtest figures over the rolling-origin folds. */
const scoreProps = {
  folds: { type: 'integer' },
  points: { type: 'integer' },
  mape: nullableNumber,
  mapeSkippedZeros: { type: 'integer' },
  wape: nullableNumber,
  smape: nullableNumber,
  mase: nullableNumber,
  bias: nullableNumber,
  coverage: { type: 'object', additionalProperties: nullableNumber },
};
const formatParam = {
  name: 'format',
  in: 'query',
  description: 'or Accept: text/csv',
  schema: { type: 'string', enum: ['json', 'csv'] },
};
const interval = {
  type: 'object',
  properties: {
    level: { type: 'integer', examples: [80] },
    lower: { type: 'number' },
    upper: { type: 'number' },
  },
};

const trucks = trucksOperation();

export const forecastingOpenApi = {
  openapi: '3.1.0',
  info: {
    title: 'Dockside planner API: lane volume forecasts',
    version: '1',
    description:
      "Daily lane volume forecasts with prediction intervals, each lane's backtested accuracy, and forecast-delta alerts. Rate limited per client (HTTP 429 with retry-after).",
  },
  paths: {
    '/api/forecasts': {
      get: {
        summary: 'Latest forecast per lane (the served model, the ensemble, unless `model` is given)',
        parameters: [
          ...laneParams,
          {
            name: 'horizon',
            in: 'query',
            description: 'Days ahead, at most the stored horizon',
            schema: { type: 'integer', minimum: 1, maximum: 365 },
          },
          { name: 'model', in: 'query', schema: models },
          {
            name: 'granularity',
            in: 'query',
            description:
              'week = sums per ISO week (intervals approximate: daily errors taken as independent)',
            schema: { type: 'string', enum: ['day', 'week'], default: 'day' },
          },
          {
            name: 'level',
            in: 'query',
            description:
              'lane; or warehouse / total: the lane forecasts reconciled (bottom-up) into warehouse and network totals that equal the sum of their lanes (items: level, key, lanes, reconciliation, points; intervals approximate); `lane` is refused with these',
            schema: { type: 'string', enum: ['lane', 'warehouse', 'total'], default: 'lane' },
          },
          formatParam,
          ...pageParams,
        ],
        responses: {
          200: {
            description: 'A page of lanes with their forecast points',
            content: {
              ...paged({
                ...runProps,
                model: { type: 'string' },
                points: arrayOf({
                  date,
                  mean: { type: 'number' },
                  days: { type: 'integer', description: 'weekly only: days covered' },
                  intervals: { type: 'array', items: interval },
                }),
              }),
              'text/csv': {
                schema: {
                  type: 'string',
                  description: 'lane,warehouse,date,mean,lower_80,upper_80,…,model,run_id',
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/api/forecasts/accuracy': {
      get: {
        summary:
          'Backtest accuracy per lane: MAPE (zeros skipped, counted), WAPE, sMAPE, MASE, bias, interval coverage',
        parameters: [
          ...laneParams,
          { name: 'model', in: 'query', schema: models },
          { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] } },
          ...pageParams,
        ],
        responses: {
          200: {
            description: 'A page of lanes with their latest backtest',
            content: {
              ...paged({
                lane: { type: 'string' },
                warehouse: { type: 'string' },
                model: { type: 'string' },
                served: { type: 'boolean' },
                selectedModel: {
                  type: 'string',
                  description: 'best model on the inner folds before the last origin',
                },
                ensembleWeights: { type: 'object', additionalProperties: { type: 'number' } },
                backtestedAt: { type: 'string', format: 'date-time' },
                horizon: { type: 'integer' },
                ...scoreProps,
              }),
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...errors,
        },
      },
    },
    '/api/forecasts/alerts': {
      get: {
        summary:
          "Forecast-delta alerts: a lane's next-7-day volume moved by more than the threshold against the previous forecast",
        parameters: [
          ...laneParams,
          { name: 'since', in: 'query', schema: { type: 'string', format: 'date-time' } },
          ...pageParams,
        ],
        responses: {
          200: {
            description: 'A page of alerts, newest first',
            content: {
              ...paged({
                id: { type: 'string' },
                createdAt: { type: 'string', format: 'date-time' },
                lane: { type: 'string' },
                warehouse: { type: 'string' },
                runId: { type: 'string' },
                previousRunId: { type: 'string' },
                windowStart: { type: 'string', format: 'date' },
                windowEnd: { type: 'string', format: 'date' },
                previousVolume: { type: 'number' },
                newVolume: { type: 'number' },
                change: { type: 'number', description: '(new - previous) / max(previous, 1)' },
                threshold: { type: 'number' },
                direction: { type: 'string', enum: ['up', 'down'] },
              }),
            },
          },
          400: error,
          429: error,
        },
      },
    },
    '/api/forecasts/lanes': {
      get: {
        summary:
          "Lanes with a stored forecast (the desk's lane picker and accuracy table): each lane's latest run, the served model's backtested MAPE/WAPE/MASE beside seasonal naive's",
        parameters: [
          {
            name: 'q',
            in: 'query',
            description: 'Case-insensitive part of the lane or warehouse, e.g. atl or >NYC',
            schema: { type: 'string', maxLength: 128 },
          },
          laneParams[1],
          laneParams[2],
          ...pageParams,
        ],
        responses: {
          200: {
            description: 'A page of lanes, ordered by lane and warehouse',
            content: {
              ...paged({
                ...runProps,
                origin: { type: 'string', format: 'date', description: 'first forecast day' },
                horizon: { type: 'integer' },
                model: { type: 'string', description: 'the served model (ensemble)' },
                selectedModel: { type: ['string', 'null'] },
                backtestedAt: { type: ['string', 'null'], format: 'date-time' },
                folds: { type: 'integer' },
                points: { type: 'integer' },
                accuracy: { oneOf: [scores, { type: 'null' }] },
                baseline: { oneOf: [scores, { type: 'null' }], description: 'seasonal naive' },
                skill: {
                  ...nullableNumber,
                  description: "1 − WAPE / seasonal naive's WAPE (0.2 = a fifth less error)",
                },
              }),
            },
          },
          400: error,
          429: error,
        },
      },
    },
    '/api/forecasts/series': {
      get: {
        summary:
          "One lane: actual daily volume (complete days), the latest forecast with its intervals, and every model's backtest of the run that made it",
        parameters: [
          { ...laneParams[0], required: true },
          laneParams[1],
          laneParams[2],
          {
            name: 'history',
            in: 'query',
            description: 'Days of actuals before the forecast origin',
            schema: { type: 'integer', minimum: 7, maximum: 730, default: 56 },
          },
          formatParam,
        ],
        responses: {
          200: {
            description: 'The lane, its actuals and its forecast',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    measure: { type: 'string' },
                    ...runProps,
                    origin: { type: 'string', format: 'date' },
                    horizon: { type: 'integer' },
                    historyDays: { type: 'integer' },
                    levels: { type: 'array', items: { type: 'integer' } },
                    model: { type: 'string' },
                    selectedModel: { type: ['string', 'null'] },
                    ensembleWeights: { type: 'object', additionalProperties: { type: 'number' } },
                    backtestedAt: { type: ['string', 'null'], format: 'date-time' },
                    actuals: arrayOf({ date, volume: { type: 'number' } }),
                    forecast: arrayOf({
                      date,
                      mean: { type: 'number' },
                      intervals: { type: 'array', items: interval },
                    }),
                    accuracy: arrayOf({
                      model: { type: 'string' },
                      role: { type: ['string', 'null'], enum: ['served', 'selected', 'baseline', null] },
                      ...scoreProps,
                    }),
                  },
                },
              },
              'text/csv': {
                schema: {
                  type: 'string',
                  description:
                    'one row per day: lane,warehouse,date,actual,forecast,lower_80,upper_80,lower_95,upper_95,model,run_id',
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    // Generated from the route's zod schemas.
    '/api/forecasts/trucks': {
      get: { ...trucks, responses: { ...trucks.responses, ...errors } },
    },
    '/api/forecasts/openapi.json': {
      get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } },
    },
  },
} as const;
