// Each test drives a whole app (web host, worker, trainer processes) and a browser: on two cores, running them side by
// side starves the circuits, so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
