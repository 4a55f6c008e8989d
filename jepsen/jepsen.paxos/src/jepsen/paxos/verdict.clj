(ns jepsen.paxos.verdict
  "How the two linearizability checks' results make the run's verdict, and
  when Knossos has run out of memory.

  bin/paxos-check is the checker of record: linear, it finishes on any
  history. Knossos is the independent second opinion, and on long or
  fault-heavy histories it may give up (:unknown: out of time or memory).
  So:

  - both boolean and different: a disagreement, the run is invalid (one of
    the two checkers is wrong, a bug worth a red run);
  - either says false: invalid;
  - otherwise paxos-check's verdict stands, whatever Knossos said
    (true with Knossos :unknown is valid, with Knossos marked unknown);
  - paxos-check not boolean (missing, crashed): :unknown.

  Knossos's memory: the JVM's heap is bounded (-Xmx), and Knossos's search
  can fill it. Either the search's own thread dies of OutOfMemoryError (and
  Knossos would then wait out its whole time limit for a result that never
  comes), or the collector thrashes: nearly all the time in GC, the heap
  nearly full after every collection. `thrashing?` judges the second from
  samples the checker takes while the search runs.

  Pure (no Jepsen): tests/clojure-syntax.sh runs its tests with Debian's
  clojure.")

(defn linear-verdict
  "The :linear result's verdict from Knossos's :valid? kv and paxos-check's
  pv: {:valid? .., :agree? .., :disagreement ..}."
  [kv pv]
  (let [disagree? (and (boolean? kv) (boolean? pv) (not= kv pv))]
    ; (a disagreement always has a false in it)
    {:valid?       (cond (false? pv)      false
                         (false? kv)      false
                         (boolean? pv)    pv
                         :else            :unknown)
     :agree?       (not disagree?)
     :disagreement (when disagree? {:knossos kv, :paxos-check pv})}))

(defn out-of-memory?
  "Is throwable t (or one of its causes) an OutOfMemoryError? Knossos's
  parallel steps rethrow a fork-join worker's error wrapped."
  [t]
  (boolean (some #(instance? OutOfMemoryError %)
                 (take-while some? (iterate #(.getCause ^Throwable %) t)))))

(defn knossos-gave-up
  "Knossos's result when the checker stops its search: cause is
  :out-of-memory or :timeout; detail says what was seen."
  [cause detail elapsed-ms]
  {:valid?     :unknown
   :cause      cause
   :detail     detail
   :elapsed-ms elapsed-ms})

(def default-thrash
  "Thrashing: over the last window-ms, at least gc-frac of the wall time in
  garbage collection, and after every collection in it the heap at least
  heap-frac full."
  {:window-ms 5000, :gc-frac 0.5, :heap-frac 0.9})

(defn thrashing?
  "Do samples (oldest first, each {:t-ms wall clock, :gc-ms cumulative GC
  time, :heap-frac heap use after the last collection / max heap}) show
  the collector thrashing over the last window? Needs samples spanning the
  whole window."
  ([samples] (thrashing? samples default-thrash))
  ([samples {:keys [window-ms gc-frac heap-frac]}]
   (let [samples (vec samples)
         latest  (peek samples)]
     (when latest
       (let [start  (- (:t-ms latest) window-ms)
             ; the last sample at or before the window's start, and after
             before (last (filter #(<= (:t-ms %) start) samples))
             inside (filter #(< start (:t-ms %)) samples)]
         (boolean
           (and before
                (<= gc-frac (/ (double (- (:gc-ms latest) (:gc-ms before)))
                               (max 1 (- (:t-ms latest) (:t-ms before)))))
                (every? #(<= heap-frac (:heap-frac %)) (cons before inside)))))))))

(defn gc-fraction
  "The fraction of the time between the first and the last sample spent in
  GC (0 with fewer than two samples)."
  [samples]
  (let [a (first samples), b (last samples)]
    (if (and a b (< (:t-ms a) (:t-ms b)))
      (/ (double (- (:gc-ms b) (:gc-ms a))) (- (:t-ms b) (:t-ms a)))
      0.0)))

(defn trim-samples
  "The samples still needed to judge the window: those inside it and the
  last one before it."
  [samples window-ms]
  (let [samples (vec samples)]
    (if-let [latest (peek samples)]
      (let [start (- (:t-ms latest) window-ms)
            n     (count (take-while #(<= (:t-ms %) start) samples))]
        (subvec samples (max 0 (dec n))))
      samples)))
