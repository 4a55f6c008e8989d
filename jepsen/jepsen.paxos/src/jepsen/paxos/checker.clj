(ns jepsen.paxos.checker
  "Two independent linearizability checks of the same history, which must
  agree:

  - Knossos (:linear) with an EXACT model of an append-only list: the state
    is the whole list; an :ok append must return exactly the state plus its
    own value, an :ok read exactly the state. (The original test's model was
    sloppy: it only compared prefixes.)

  - bin/paxos-check, this repository's exact checker for append-only lists,
    run on the same history written as EDN, one op per line.

  If both give a boolean verdict and they differ, the result is invalid with
  :disagreement: one of the two checkers is wrong, which is a bug worth a
  red run. Otherwise paxos-check's verdict stands (jepsen.paxos.verdict):
  Knossos may give up, out of time or out of memory, and says so at once
  (run-knossos watches its search). A final-reads check asks every node's last read to show one and
  the same list, and a recovery check (jepsen.paxos.recovery) that every
  node acknowledged an append again soon after every heal."
  (:require [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.java.shell :refer [sh]]
            [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [checker :as checker]
                    [history :as h]
                    [store :as store]]
            [knossos [history :as khistory]
                     [memory :as memory]
                     [model :as model]
                     [linear :as linear]]
            [knossos.linear.config :as config]
            [knossos.linear.report :as linear.report]
            [knossos.model.memo :as memo]
            [jepsen.paxos.recovery :as recovery]
            [jepsen.paxos.verdict :as verdict])
  (:import (java.lang.management GarbageCollectorMXBean ManagementFactory
                                  MemoryPoolMXBean MemoryType MemoryUsage)
           (com.sun.management GcInfo)))

(defn plain-op
  "An op as a plain map of what the checkers and paxos-check read, taken
  field by field. (Not (into {} op): Jepsen 0.3.5's store reads an op whose
  invocation had extra keys back with the invocation's :type and :value
  among its extra keys, which then shadow the real ones when the op is
  printed or poured into a map; so the test's ops carry no extra keys, and
  this reads only the fields, plus :error.)"
  [op]
  (cond-> {:index   (:index op)
           :time    (:time op)
           :type    (:type op)
           :process (:process op)
           :f       (:f op)
           :value   (:value op)}
    (some? (:error op)) (assoc :error (:error op))))

;; The model

(defrecord AppendList [xs canonical?]
  ; xs: the list. canonical?: xs is the one instance knossos-history
  ; interned for its contents, so that for two canonical lists identical?
  ; is exactly =, in O(1) instead of O(n) per step.
  knossos.model.Model
  (step [m op]
    (let [v (:value op)]
      (case (:f op)
        :append
        (cond
          ; An :ok append, as prepared by knossos-history: its own value,
          ; the list it returned, and that list without its last element.
          (map? v)
          (let [{:keys [appended list prefix]} v]
            (if (and (= appended (peek list))
                     (if canonical?
                       (identical? xs prefix)
                       (= xs prefix)))
              (AppendList. list true)
              (model/inconsistent
                (str "append " appended " to " (pr-str xs)
                     " returned " (pr-str list)
                     ", not " (pr-str (conj xs appended))))))

          ; Outcome unknown (:info, or never completed): the int appended.
          (integer? v)
          (AppendList. (conj xs v) false)

          :else
          (model/inconsistent (str "append of " (pr-str v) "?")))

        :read
        (cond
          (nil? v)                         m   ; a read of unknown result
          (if canonical? (identical? xs v) (= xs v)) m
          :else (model/inconsistent
                  (str "read " (pr-str v) ", but the list is " (pr-str xs))))))))

(defn append-list
  "The empty list."
  []
  (AppendList. [] true))

(defn unknown-appends
  "The value of every append whose outcome is unknown: completed :info, or
  never completed."
  [history]
  (loop [ops (seq history), pending {}, unknown (transient #{})]
    (if-not ops
      (persistent! (reduce conj! unknown (vals pending)))
      (let [op (first ops), p (:process op)]
        (cond
          (not (integer? p))
          (recur (next ops) pending unknown)

          (= :invoke (:type op))
          (recur (next ops)
                 (if (= :append (:f op)) (assoc pending p (:value op)) (dissoc pending p))
                 unknown)

          (and (= :info (:type op)) (contains? pending p))
          (recur (next ops) (dissoc pending p) (conj! unknown (get pending p)))

          :else
          (recur (next ops) (dissoc pending p) unknown))))))

(defn observed-positions
  "value -> [list i] for every value some :ok op's list shows: the first
  such list, and the value's position in it."
  [history]
  (reduce (fn [seen op]
            (let [v (:value op)]
              (if (and (= :ok (:type op)) (integer? (:process op)) (sequential? v))
                (let [l (vec v)]
                  (reduce (fn [seen i]
                            (let [x (nth l i)]
                              (if (contains? seen x) seen (assoc seen x [l i]))))
                          seen
                          (range (count l))))
                seen)))
          {}
          history))

(defn knossos-history
  "The client ops of the history as plain maps, for Knossos: each :ok
  append's :value turned into {:appended v, :list l, :prefix (pop l)}, where
  v is what its invocation appended (Knossos copies a completion's value
  into the invocation, and the model needs both to be exact), and every
  list interned, so that equal lists are one instance (see AppendList).

  Unknown-outcome appends (:info, or never completed) are where Knossos's
  search explodes: each may take effect at any point, so with k of them
  pending it tries their orders and subsets, and with ~30 in a history it
  runs out of time or memory. Two reductions that keep every verdict, as
  every :ok op returns the whole list and the list only grows:

  - an unknown append whose value no :ok op's list shows is dropped (with
    its completion): in any linearization it comes after every :ok op, or
    never takes effect, and either way nothing observes it;
  - one whose value some :ok list shows at position i is given that list's
    first i values as the only state it may be applied to ({:appended v,
    :list (its first i+1), :prefix (its first i)}, what an :ok append
    carries): in a linearizable history every list that shows v shows the
    same values before it. In a history that is not, the reduction only
    removes linearizations, so an invalid history stays invalid.

  With no reductions (reduce-unknown? false) unknown appends keep their
  plain int, which the model appends at any point."
  ([history] (knossos-history history true))
  ([history reduce-unknown?]
   (let [canon    (java.util.HashMap.)
         intern   (fn [l]
                    (let [l (vec l)]
                      (or (.get canon l) (do (.put canon l l) l))))
         unknown  (if reduce-unknown? (unknown-appends history) #{})
         observed (if reduce-unknown? (observed-positions history) {})]
     (intern [])
     (loop [ops     (seq history)
            pending {}
            dropped #{}       ; processes whose unknown append was dropped
            out     (transient [])]
       (if-not ops
         (persistent! out)
         (let [op (plain-op (first ops))
               p  (:process op)
               v  (:value op)]
           (cond
             (not (integer? p))
             (recur (next ops) pending dropped out)

             (dropped p)
             (recur (next ops) pending (disj dropped p) out)

             (and (= :invoke (:type op)) (= :append (:f op)) (contains? unknown v))
             (if-let [[l i] (observed v)]
               (recur (next ops) (assoc pending p v) dropped
                      (conj! out (assoc op :value {:appended v
                                                   :list     (intern (subvec l 0 (inc i)))
                                                   :prefix   (intern (subvec l 0 i))})))
               (recur (next ops) pending (conj dropped p) out))

             (= :invoke (:type op))
             (recur (next ops) (assoc pending p v) dropped (conj! out op))

             (and (= :ok (:type op)) (= :append (:f op)) (sequential? v))
             (let [l (intern v)]
               (recur (next ops) (dissoc pending p) dropped
                      (conj! out (assoc op :value {:appended (get pending p)
                                                   :list     l
                                                   :prefix   (if (seq l) (intern (pop l)) l)}))))

             (and (= :ok (:type op)) (= :read (:f op)) (sequential? v))
             (recur (next ops) (dissoc pending p) dropped (conj! out (assoc op :value (intern v))))

             :else
             (recur (next ops) (dissoc pending p) dropped (conj! out op)))))))))

(def heap-pools
  "The names of the heap's memory pools (a collection's GcInfo also lists
  the non-heap ones: metaspace, code cache)."
  (delay (->> (ManagementFactory/getMemoryPoolMXBeans)
              (filter #(= MemoryType/HEAP (.getType ^MemoryPoolMXBean %)))
              (map #(.getName ^MemoryPoolMXBean %))
              set)))

(defn heap-sample
  "Now, this JVM's cumulative GC time, and the heap's use just after the
  most recent collection as a fraction of the maximum heap:
  {:t-ms .., :gc-ms .., :heap-frac ..}."
  []
  (let [gcs    (ManagementFactory/getGarbageCollectorMXBeans)
        gc-ms  (reduce + 0 (map #(max 0 (.getCollectionTime ^GarbageCollectorMXBean %)) gcs))
        ; the collection that ended last says how full the heap is after GC
        infos  (keep #(when (instance? com.sun.management.GarbageCollectorMXBean %)
                        (.getLastGcInfo ^com.sun.management.GarbageCollectorMXBean %))
                     gcs)
        last-i (when (seq infos) (apply max-key #(.getEndTime ^GcInfo %) infos))
        used   (if last-i
                 (->> (.getMemoryUsageAfterGc ^GcInfo last-i)
                      (filter #(@heap-pools (key %)))
                      (map #(.getUsed ^MemoryUsage (val %)))
                      (reduce + 0))
                 0)]
    {:t-ms      (System/currentTimeMillis)
     :gc-ms     gc-ms
     :heap-frac (/ (double used) (.maxMemory (Runtime/getRuntime)))}))

(defn- start-search
  "Knossos's linear search of history (as knossos.linear/start-analysis
  starts it) on a thread of its own, which delivers to the returned :result
  promise the analysis, or ::interrupted, or the Throwable that ended it:
  Knossos's own thread catches only InterruptedException, so an
  OutOfMemoryError there would leave its result undelivered for good."
  [model history]
  (let [{:keys [history kindex-eindex]} (khistory/preprocess history)
        memo    (memo/memo model history)
        history (:history memo)
        configs (-> (:model memo) (config/config history) list config/set-config-set)
        state   (atom {:running? true, :configs configs, :op nil, :indices kindex-eindex})
        result  (promise)
        worker  (Thread.
                  (fn []
                    (deliver result
                             (try (linear/check model history configs state)
                                  (catch InterruptedException _ ::interrupted)
                                  (catch Throwable t t))))
                  "knossos search")]
    (.setDaemon worker true)
    (.start worker)
    {:result result
     :state  state
     :abort! (fn [cause]
               (swap! state assoc :running? false :cause cause)
               (.interrupt worker))}))

(defn run-knossos
  "Knossos's search on the prepared history h, watched: every period-ms the
  checker looks for the result, for an OutOfMemoryError that ended the
  search, for Knossos's own low-memory signal (heap over 90% after a
  collection), for the collector thrashing (verdict/thrashing? over
  sample-fn's samples) and for the time limit. On any of those it stops the
  search and answers at once: {:valid? :unknown, :cause :out-of-memory or
  :timeout, :detail ..}. opts: :time-limit-ms, :period-ms, :sample-fn,
  :thrash (verdict/default-thrash)."
  [model h {:keys [time-limit-ms period-ms sample-fn thrash]
            :or   {period-ms 250, sample-fn heap-sample, thrash verdict/default-thrash}}]
  (let [t0      (System/currentTimeMillis)
        elapsed #(- (System/currentTimeMillis) t0)
        low-mem (atom false)
        cancel  (memory/on-low-mem! #(reset! low-mem true))]
    (try
      (let [{:keys [result state abort!]} (start-search model h)
            give-up (fn [cause detail]
                      (abort! cause)
                      (warn "Knossos gave up:" cause "-" detail)
                      (verdict/knossos-gave-up cause detail (elapsed)))]
        (loop [samples [], last-report t0]
          (let [r       (deref result period-ms ::pending)
                samples (verdict/trim-samples (conj samples (sample-fn)) (:window-ms thrash))]
            (cond
              (instance? Throwable r)
              (if (verdict/out-of-memory? r)
                (give-up :out-of-memory (str "the search died: " r))
                (give-up :error (str "the search died: " r)))

              (not= ::pending r)
              (assoc r :elapsed-ms (elapsed))

              @low-mem
              (give-up :out-of-memory "heap over 90% full after a collection (Knossos's low-memory signal)")

              (verdict/thrashing? samples thrash)
              (let [s (peek samples)]
                (give-up :out-of-memory
                         (format "GC thrashing: over %.0f%% of the last %d ms in GC, heap %.0f%% full after collections"
                                 (* 100 (:gc-frac thrash)) (long (:window-ms thrash))
                                 (* 100 (:heap-frac s)))))

              (and time-limit-ms (< time-limit-ms (elapsed)))
              (give-up :timeout (str "no answer within " time-limit-ms " ms"))

              :else
              (recur samples
                     (if (< 10000 (- (System/currentTimeMillis) last-report))
                       (do (info "Knossos:" (elapsed) "ms, at op" (:index (:op @state))
                                 (str "(" (count (:configs @state)) " configurations),")
                                 (format "heap %.0f%% full after GC, %.0f%% of the last %d s in GC"
                                         (* 100 (:heap-frac (peek samples)))
                                         (* 100 (verdict/gc-fraction samples))
                                         (quot (:window-ms thrash) 1000)))
                           (System/currentTimeMillis))
                       last-report))))))
      (catch Throwable t
        ; the history's preparation (before the search) can run out too
        (if (verdict/out-of-memory? t)
          (verdict/knossos-gave-up :out-of-memory (str "preparing the search: " t) (elapsed))
          (throw t)))
      (finally (cancel)))))

(defn knossos-checker
  "Knossos's :linear search with the exact model, watched by run-knossos:
  gives up with :unknown after time-limit-s seconds, and at once when it
  runs out of memory. plain?: unknown-outcome appends as they are (no
  reductions, see knossos-history)."
  [time-limit-s plain?]
  (reify checker/Checker
    (check [this test history opts]
      (let [h (knossos-history history (not plain?))
            a (run-knossos (append-list) h {:time-limit-ms (* 1000 time-limit-s)})]
        (when (false? (:valid? a))
          (try
            (linear.report/render-analysis!
              h a (.getCanonicalPath
                    (store/path! test (:subdirectory opts) "linear.svg")))
            (catch Throwable e
              (warn e "Error rendering linearizability analysis"))))
        (-> a
            (dissoc :configs :final-paths)
            (assoc :final-paths (take 3 (:final-paths a))))))))

;; bin/paxos-check

(defn edn-line
  "One op as a line of EDN."
  [op]
  (pr-str (plain-op op)))

(defn write-edn-history!
  "Writes the history as EDN, one op per line; returns the file."
  [history file]
  (io/make-parents file)
  (with-open [w (io/writer file)]
    (binding [*print-length* nil, *print-level* nil, *print-namespace-maps* false]
      (doseq [op history]
        (.write w ^String (edn-line op))
        (.write w "\n"))))
  file)

(defn paxos-check-checker
  "Runs bin/paxos-check (path) on the history; its EDN result, its readable
  explanation and the history it read are in the store."
  [path]
  (reify checker/Checker
    (check [this test history opts]
      (let [hist (store/path! test (:subdirectory opts) "paxos-check-history.edn")
            out  (store/path! test (:subdirectory opts) "paxos-check.edn")
            txt  (store/path! test (:subdirectory opts) "paxos-check.txt")]
        (if-not (.canExecute (io/file path))
          {:valid? :unknown
           :error  (str path " is missing: run make in the repository")}
          (do
            (write-edn-history! history hist)
            (let [r   (sh path "--out" (str out) (str hist))
                  _   (spit txt (:err r))
                  res (try (edn/read-string {:default (fn [_ v] v)} (slurp out))
                           (catch Exception e
                             {:valid? :unknown
                              :error  (str "cannot read " out ": " (.getMessage e))}))]
              (assoc res
                     :exit (:exit r)
                     :explanation-file (str txt)))))))))

;; Both together

(defn agree
  "Composes the two; the verdict is jepsen.paxos.verdict/linear-verdict's:
  paxos-check's, unless Knossos found a violation or the two disagree."
  [knossos-time-limit-s knossos-plain? paxos-check-path]
  (let [k (knossos-checker knossos-time-limit-s knossos-plain?)
        p (paxos-check-checker paxos-check-path)]
    (reify checker/Checker
      (check [this test history opts]
        (let [pr (future (checker/check-safe p test history opts))
              kr (checker/check-safe k test history opts)
              pr @pr
              v  (verdict/linear-verdict (:valid? kr) (:valid? pr))]
          (when-not (:agree? v)
            (warn "Knossos says" (:valid? kr) "but paxos-check says" (:valid? pr)))
          (assoc v
                 :knossos     kr
                 :paxos-check pr))))))

(defn final-reads
  "The final reads, one per client thread, after healing and recovery: every
  node that answered must show the same list, and at least one must have
  answered. A thread's final read is its last op (processes map to threads
  mod :concurrency); ops carry no marker, see plain-op."
  []
  (reify checker/Checker
    (check [this test history opts]
      (let [threads (:concurrency test)
            lasts   (->> history
                         (filter #(integer? (:process %)))
                         (reduce (fn [m op] (assoc m (mod (:process op) threads) op)) {})
                         vals)
            finals  (filter #(and (= :ok (:type %)) (= :read (:f %))) lasts)
            lists   (set (map :value finals))]
        {:valid?   (boolean (and (seq finals) (= 1 (count lists))))
         :threads  threads
         :answered (count finals)
         :distinct (count lists)
         :length   (when (= 1 (count lists)) (count (first lists)))}))))

(defn recovery
  "Liveness: after every heal, every node must acknowledge an append again
  within bound-s seconds (jepsen.paxos.recovery)."
  [bound-s]
  (reify checker/Checker
    (check [_ test history _opts]
      (recovery/check test history bound-s))))

(defn perf
  "Jepsen's latency and rate graphs, the nemeses' activity shaded, and on
  the rate graph also every heal's recovery (jepsen.paxos.recovery's
  plot-nemeses: heal to the slowest node's first ack again), drawn from
  nemesis-like ops added to a copy of the history that only the rate graph
  sees."
  [nemeses bound-s]
  (reify checker/Checker
    (check [_ test history opts]
      (let [marks (recovery/plot-ops (recovery/check test history bound-s))
            ; the ops re-indexed in time order, the marks among them
            h2    (->> (concat (map #(dissoc % :index) history) marks)
                       (sort-by :time)
                       h/history)
            lat   (checker/check-safe (checker/latency-graph {:nemeses nemeses})
                                      test history opts)
            rate  (checker/check-safe (checker/rate-graph
                                        {:nemeses (concat nemeses recovery/plot-nemeses)})
                                      test h2 opts)]
        {:latency-graph lat
         :rate-graph    rate
         :valid?        (checker/merge-valid (map :valid? [lat rate]))}))))

