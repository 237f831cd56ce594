/**
 * Whether a server that already listens is still starting the components that follow the change log (the HL7
 * listener and outbound delivery, the projections): /readyz answers 503 "starting" until they run, so that a client
 * (or an orchestrator's probe) that waits for readiness never writes before them. A test's app, never started as a
 * whole server, is not held.
 */
export class StartupGate {
  #holding = false;

  /** From before the server listens until its components run. */
  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
  }

  get starting(): boolean {
    return this.#holding;
  }
}
