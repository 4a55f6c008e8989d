(ns jepsen.paxos.recovery
  "Liveness: after every heal, the time until every node acknowledges an
  append again. A cluster that is safe but stays down is not correct
  either, so a heal after which some node acknowledged nothing within the
  bound makes the run invalid.

  Heals are the nemesis's completions of :stop-partition (partitions
  healed), :start (killed nodes restarted) and :resume (paused nodes
  resumed); each one's window lasts until the nemesis next starts a fault
  (:start-partition, :kill, :pause) or the history ends. A node's
  recovery is the first :ok :append completed after the heal by a process
  of that node (Jepsen gives thread t node t mod (count nodes), and process
  p is thread p mod concurrency). A node with no such ack in its window
  exceeds the bound if the window was at least the bound long, and is
  inconclusive otherwise (the next fault came first).

  Faults can overlap (--nemesis all): a partition healed while a node is
  still paused or killed is no heal of the cluster, and that node cannot
  answer. So a heal after which some fault is still in force (a partition,
  killed nodes, paused nodes: Jepsen's combined nemesis heals each kind
  whole, with :stop-partition, :start :all, :resume :all) is reported with
  :verdict :overlapped and :still #{..} and not judged; the heal that ends
  the last of them is.

  Pure Clojure (no Jepsen), so tests/clojure-syntax.sh runs its tests with
  Debian's clojure; jepsen.paxos.checker wraps it as a Jepsen checker.")

(def heal-fs
  "Nemesis :f values whose completion ends a fault."
  #{:stop-partition :start :resume})

(def fault-fs
  "Nemesis :f values that start a fault."
  #{:start-partition :kill :pause})

(def fault-kind
  "The kind of fault each nemesis :f starts or ends."
  {:start-partition :partition, :stop-partition :partition
   :kill :kill, :start :kill
   :pause :pause, :resume :pause})

(defn faults-after
  "For each nemesis step, the kinds of fault in force after it."
  [steps]
  (->> steps
       (reductions (fn [active [_ done]]
                     (let [f (:f done)]
                       (cond (fault-fs f) (conj active (fault-kind f))
                             (heal-fs f)  (disj active (fault-kind f))
                             :else        active)))
                   #{})
       rest
       vec))

(defn node-of
  "The node a client process talks to."
  [nodes concurrency process]
  (nth nodes (mod (mod process concurrency) (count nodes))))

(defn nemesis-steps
  "The nemesis's ops as [invocation completion] pairs: Jepsen logs each as
  an :info invocation and then an :info completion, one op at a time."
  [history]
  (->> history
       (filter #(= :nemesis (:process %)))
       (partition 2)))

(defn- first-acks
  "node -> the :time of the first :ok append after t by a process of that
  node."
  [history nodes concurrency t]
  (reduce (fn [acks op]
            (if (and (= :ok (:type op)) (= :append (:f op)) (integer? (:process op))
                     (< t (:time op)))
              (let [n (node-of nodes concurrency (:process op))]
                (if (contains? acks n)
                  acks
                  (let [acks (assoc acks n (:time op))]
                    (if (= (count acks) (count nodes)) (reduced acks) acks))))
              acks))
          {}
          history))

(defn heal-recovery
  "The recovery after the heal completed at t, whose window ends at end."
  [history nodes concurrency bound-ns heal end]
  (let [t       (:time heal)
        acks    (first-acks (filter #(<= (:time %) end) history) nodes concurrency t)
        per     (mapv (fn [n] (when-let [a (get acks n)] (- a t))) nodes)
        slowest (when (every? some? per) (reduce max 0 per))
        window  (- end t)]
    {:after     (:f heal)
     :heal-s    (/ t 1e9)
     :window-ms (quot window 1000000)
     :ms        (when slowest (quot slowest 1000000))
     :nodes-ms  (mapv #(when % (quot % 1000000)) per)
     :verdict   (cond (and slowest (<= slowest bound-ns)) :ok
                      slowest                             :exceeded
                      (<= bound-ns window)                :exceeded
                      :else                               :inconclusive)}))

(defn check
  "The recovery after every heal of history, judged against bound-s
  seconds: {:valid? .., :bound-ms .., :max-ms .., :exceeded n,
  :inconclusive n, :overlapped n, :heals [..]}."
  [{:keys [nodes concurrency]} history bound-s]
  (let [history  (vec history)
        bound-ns (long (* bound-s 1e9))
        last-t   (reduce max 0 (map :time history))
        steps    (vec (nemesis-steps history))
        active   (faults-after steps)
        heals    (->> steps
                      (keep-indexed
                        (fn [i [_ done]]
                          (when (heal-fs (:f done))
                            ; the window closes when the next fault begins
                            (let [next-fault (->> (subvec steps (inc i))
                                                  (filter #(fault-fs (:f (first %))))
                                                  first)
                                  end        (if next-fault (:time (first next-fault)) last-t)
                                  r          (heal-recovery history nodes concurrency bound-ns done end)]
                              (if (seq (active i))
                                (assoc r :verdict :overlapped, :still (active i))
                                r)))))
                      vec)
        count-of (fn [v] (count (filter #(= v (:verdict %)) heals)))]
    {:valid?       (zero? (count-of :exceeded))
     :bound-ms     (long (* bound-s 1000))
     :max-ms       (reduce max 0 (keep #(when (#{:ok :exceeded} (:verdict %)) (:ms %)) heals))
     :exceeded     (count-of :exceeded)
     :inconclusive (count-of :inconclusive)
     :overlapped   (count-of :overlapped)
     :heals        heals}))

;; On the rate graph

(def plot-nemeses
  "How checker/perf's rate graph draws the recovery after each heal, as
  nemesis-like shaded regions (jepsen.checker.perf's :nemeses spec): from
  the heal until every node acknowledged again (green), past the bound
  (red), or cut short by the next fault (yellow)."
  [{:name "recovery",              :start #{:recovery-begin},     :stop #{:recovery-end},     :color "#8FD18F"}
   {:name "recovery > bound",      :start #{:slow-recovery-begin}, :stop #{:slow-recovery-end}, :color "#E06060"}
   {:name "recovery inconclusive", :start #{:short-recovery-begin}, :stop #{:short-recovery-end}, :color "#E8C860"}])

(defn plot-ops
  "Ops that draw result's heals (check's result) with plot-nemeses: for
  each heal, a begin pair at the heal and an end pair when the slowest node
  acknowledged, or when the window closed if some node never did. Each is
  an invocation and a completion at the same time, with the same :f, as
  jepsen.util/nemesis-intervals pairs them."
  [result]
  (mapcat (fn [{:keys [heal-s ms window-ms verdict]}]
            ; (an :overlapped heal is not drawn: the faults still in force are)
            (let [t0   (long (Math/round (* heal-s 1e9)))
                  t1   (+ t0 (* 1000000 (long (or ms window-ms))))
                  kind ({:ok "recovery", :exceeded "slow-recovery",
                         :inconclusive "short-recovery"} verdict)
                  op   (fn [t f] {:type :info, :process :nemesis, :f f, :value nil, :time t})
                  f    #(keyword (str kind "-" %))]
              [(op t0 (f "begin")) (op t0 (f "begin"))
               (op t1 (f "end"))   (op t1 (f "end"))]))
          (remove #(= :overlapped (:verdict %)) (:heals result))))
