/** The forecast desk (planners): built in its own files under forecasts/. */
export function ForecastDesk() {
  return (
    <section aria-labelledby="desk-title">
      <h1 id="desk-title">Forecasts</h1>
    </section>
  );
}
