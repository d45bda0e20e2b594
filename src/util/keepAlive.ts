/**
 * Keeps the process alive until `promise` settles.
 *
 * Node exits when nothing but promises is left, and a wait on something that holds no handle of
 * its own does not count: a model worker taken while it is still starting (warmed at compile
 * time) is unref'd until it is ready, so that an idle warm worker never keeps the process alive.
 * A stage that waits on it while no ffmpeg child runs (`vgrade classify` of a still, or of a clip
 * decoded before the model has loaded) would otherwise see the process end in the middle of the
 * run, with status 0 and nothing printed.
 */
export function keepAliveUntil(promise: Promise<unknown>): void {
  const timer = setInterval(() => {}, 2 ** 31 - 1);
  const release = (): void => clearInterval(timer);
  promise.then(release, release);
}
