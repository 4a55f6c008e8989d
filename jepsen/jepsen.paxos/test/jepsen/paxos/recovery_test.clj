(ns jepsen.paxos.recovery-test
  "The recovery checker on small hand-made histories. Pure Clojure: runs
  with Debian's clojure (tests/clojure-syntax.sh) as well as lein test."
  (:require [clojure.test :refer [deftest is testing run-tests]]
            [jepsen.paxos.recovery :as r]))

(def test-map {:nodes ["n1" "n2" "n3"], :concurrency 3})

(defn ms [x] (* x 1000000))

(defn nemesis [t f] {:type :info, :process :nemesis, :f f, :time t})

(defn ack [t process] {:type :ok, :f :append, :process process, :time t, :value [1]})

(defn history
  "A partition from 1 s to 2 s (healed at 2 s), acks at the given times
  (ms, one per process 0 1 2 = node 1 2 3), then the end at end-ms."
  [acks end-ms & [next-fault-ms]]
  (sort-by :time
           (concat [(nemesis (ms 1000) :start-partition) (nemesis (ms 1001) :start-partition)
                    (nemesis (ms 2000) :stop-partition) (nemesis (ms 2001) :stop-partition)]
                   (when next-fault-ms
                     [(nemesis (ms next-fault-ms) :start-partition)
                      (nemesis (ms (inc next-fault-ms)) :start-partition)])
                   (for [[p t] acks] (ack (ms t) p))
                   [{:type :ok, :f :read, :process 0, :time (ms end-ms), :value []}])))

(deftest recovered-within-the-bound
  (let [res (r/check test-map (history {0 2100, 1 2500, 2 3000} 9000) 5)]
    (is (:valid? res))
    (is (= 1 (count (:heals res))))
    (is (= 999 (:max-ms res)))
    (is (= [99 499 999] (:nodes-ms (first (:heals res)))))
    (is (= :ok (:verdict (first (:heals res)))))))

(deftest acks-before-the-heal-do-not-count
  (let [res (r/check test-map (history {0 1500, 1 2500, 2 3000} 9000) 5)]
    (testing "node 1's only ack came during the fault: it never recovered"
      (is (not (:valid? res)))
      (is (= :exceeded (:verdict (first (:heals res)))))
      (is (nil? (first (:nodes-ms (first (:heals res)))))))))

(deftest too-slow
  (let [res (r/check test-map (history {0 2100, 1 2200, 2 8000} 9000) 5)]
    (is (not (:valid? res)))
    (is (= 5999 (:ms (first (:heals res))))) ; from the heal's completion at 2001 ms
    (is (= 1 (:exceeded res)))))

(deftest a-node-that-never-answers-fails-once-the-bound-has-passed
  (let [res (r/check test-map (history {0 2100, 1 2200} 9000) 5)]
    (is (not (:valid? res)))
    (is (= :exceeded (:verdict (first (:heals res)))))))

(deftest a-short-window-is-inconclusive
  (testing "the next fault began 3 s after the heal, before node 3 answered"
    (let [res (r/check test-map (history {0 2100, 1 2200, 2 6000} 9000 5000) 5)]
      (is (:valid? res))
      (is (= :inconclusive (:verdict (first (:heals res)))))
      (is (= 1 (:inconclusive res))))))

(deftest processes-map-to-their-nodes
  (testing "process 4 is thread 1 (concurrency 3), node 2; process 5 node 3"
    (is (= "n2" (r/node-of ["n1" "n2" "n3"] 3 4)))
    (is (= "n3" (r/node-of ["n1" "n2" "n3"] 3 5))))
  (let [res (r/check test-map (history {3 2100, 4 2200, 5 2300} 9000) 5)]
    (is (= [99 199 299] (:nodes-ms (first (:heals res)))))))

(defn regions
  "The [f-prefix start-ms end-ms] regions plot-ops draws for res."
  [res]
  (->> (r/plot-ops res)
       (partition 4)
       (map (fn [[b1 b2 e1 e2]]
              (is (= (:f b1) (:f b2)))
              (is (= (:f e1) (:f e2)))
              (is (every? #(= :nemesis (:process %)) [b1 b2 e1 e2]))
              [(subs (name (:f b1)) 0 (- (count (name (:f b1))) (count "-begin")))
               (quot (:time b1) 1000000) (quot (:time e1) 1000000)]))))

(deftest recovery-on-the-rate-graph
  (testing "recovered: from the heal (2001 ms) to the slowest node's ack"
    (is (= [["recovery" 2001 3000]]
           (regions (r/check test-map (history {0 2100, 1 2500, 2 3000} 9000) 5)))))
  (testing "too slow: to the slowest ack; never: to the window's end"
    (is (= [["slow-recovery" 2001 8000]]
           (regions (r/check test-map (history {0 2100, 1 2200, 2 8000} 9000) 5))))
    (is (= [["slow-recovery" 2001 9000]]
           (regions (r/check test-map (history {0 2100, 1 2200} 9000) 5)))))
  (testing "cut short by the next fault (5000 ms)"
    (is (= [["short-recovery" 2001 5000]]
           (regions (r/check test-map (history {0 2100, 1 2200, 2 6000} 9000 5000) 5))))))

(deftest every-plotted-f-has-its-region
  (let [fs    (->> [(history {0 2100, 1 2500, 2 3000} 9000)
                    (history {0 2100, 1 2200} 9000)
                    (history {0 2100, 1 2200, 2 6000} 9000 5000)]
                   (mapcat #(r/plot-ops (r/check test-map % 5)))
                   (map :f) set)
        spec  (reduce (fn [m n] (into m (map vector (concat (:start n) (:stop n)) (repeat (:name n)))))
                      {} r/plot-nemeses)]
    (is (= 6 (count fs)))
    (is (every? spec fs))
    (is (apply distinct? (map :name r/plot-nemeses)))))

(deftest a-heal-with-other-faults-in-force-is-not-judged
  (testing "node 1 paused from 0.5 s to 4 s: the partition's heal at 2 s leaves it paused"
    (let [h   (sort-by :time
                       (concat [(nemesis (ms 500) :pause) (nemesis (ms 501) :pause)
                                (nemesis (ms 1000) :start-partition) (nemesis (ms 1001) :start-partition)
                                (nemesis (ms 2000) :stop-partition) (nemesis (ms 2001) :stop-partition)
                                (nemesis (ms 4000) :resume) (nemesis (ms 4001) :resume)]
                               (for [[p t] [[1 2100] [2 2200] [2 4200] [1 4300] [0 4500]]] (ack (ms t) p))
                               [{:type :ok, :f :read, :process 0, :time (ms 12000), :value []}]))
          res (r/check test-map h 1)]
      (is (:valid? res))
      (is (= [:overlapped :ok] (map :verdict (:heals res))))
      (is (= #{:pause} (:still (first (:heals res)))))
      (is (= 1 (:overlapped res)))
      (is (= 499 (:max-ms res)) "from the resume, the heal that ended the last fault")
      (testing "and it is not drawn"
        (is (= [["recovery" 4001 4500]] (regions res))))))
  (testing "kills end with :start, pauses with :resume, each kind on its own"
    (is (= [#{:kill} #{:kill :pause} #{:kill} #{}]
           (r/faults-after [[{} {:f :kill}] [{} {:f :pause}] [{} {:f :resume}] [{} {:f :start}]])))))

(defn -main [& _]
  (let [{:keys [fail error]} (run-tests 'jepsen.paxos.recovery-test)]
    (System/exit (if (zero? (+ fail error)) 0 1))))
