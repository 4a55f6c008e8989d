(ns jepsen.paxos.checker-test
  "The exact append-list model, the Knossos history preparation, the
  watched Knossos search (out of memory, thrashing, time limit), the EDN
  lines paxos-check reads, and the client's parsing of gateway answers. Runs
  without a cluster: lein test."
  (:require [clojure.test :refer [deftest is testing]]
            [clojure.edn :as edn]
            [knossos.linear :as linear]
            [knossos.model :as model]
            [jepsen.paxos.checker :as pc]
            [jepsen.paxos.client :as client]))

(defn op [i process type f value]
  {:index i, :time (* 1000 i), :type type, :process process, :f f, :value value})

(defn knossos-valid?
  "Knossos's verdict on history, prepared with the reductions of unknown
  appends; the same as without them, and as the checker's own watched run."
  [history]
  (let [h (pc/knossos-history history)
        a (:valid? (linear/analysis (pc/append-list) h))
        ; without the reductions of unknown appends
        p (:valid? (linear/analysis (pc/append-list) (pc/knossos-history history false)))
        ; the checker's own, watched, run of the same search
        w (:valid? (pc/run-knossos (pc/append-list) h {:time-limit-ms 60000}))]
    (assert (= a w) (str "linear/analysis says " a " but run-knossos says " w))
    (assert (= a p) (str "reduced, Knossos says " a "; plain, " p))
    a))

(deftest model-step
  (let [m (pc/append-list)]
    (testing "an :ok append must return exactly the list plus its value"
      (is (= [3] (:xs (model/step m {:f :append, :value {:appended 3, :list [3], :prefix []}}))))
      (is (model/inconsistent? (model/step m {:f :append, :value {:appended 3, :list [4], :prefix []}})))
      (is (model/inconsistent? (model/step m {:f :append, :value {:appended 3, :list [1 3], :prefix [1]}}))))
    (testing "an unknown-outcome append just appends"
      (is (= [7] (:xs (model/step m {:f :append, :value 7})))))
    (testing "reads must be exact, not prefixes"
      (let [m (pc/->AppendList [1 2] false)]
        (is (= m (model/step m {:f :read, :value [1 2]})))
        (is (= m (model/step m {:f :read, :value nil})))
        (is (model/inconsistent? (model/step m {:f :read, :value [1]})))
        (is (model/inconsistent? (model/step m {:f :read, :value [1 2 3]})))))))

(deftest knossos-history-keeps-appended-value
  (let [h (pc/knossos-history [(op 0 0 :invoke :append 5)
                               (op 1 :nemesis :info :start-partition nil)
                               (op 2 0 :ok :append [5])])]
    (is (= 2 (count h)) "nemesis ops are dropped")
    (is (= {:appended 5, :list [5], :prefix []} (:value (second h))))))

(deftest knossos-history-interns-lists
  (let [h (pc/knossos-history [(op 0 0 :invoke :append 1) (op 1 0 :ok :append [1])
                               (op 2 1 :invoke :append 2) (op 3 1 :ok :append [1 2])
                               (op 4 0 :invoke :read nil) (op 5 0 :ok :read (list 1))])]
    (is (identical? (:list (:value (nth h 1))) (:prefix (:value (nth h 3)))))
    (is (identical? (:list (:value (nth h 1))) (:value (nth h 5))))))

(deftest knossos-verdicts
  (testing "sequential appends and a read: valid"
    (is (true? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :ok :append [1])
                                (op 2 1 :invoke :append 2) (op 3 1 :ok :append [1 2])
                                (op 4 0 :invoke :read nil) (op 5 0 :ok :read [1 2])]))))
  (testing "a stale read after an acknowledged append: invalid"
    (is (false? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :ok :append [1])
                                 (op 2 1 :invoke :read nil) (op 3 1 :ok :read [])]))))
  (testing "an append answered with another op's value: invalid"
    (is (false? (knossos-valid? [(op 0 0 :invoke :append 1)
                                 (op 1 1 :invoke :append 2)
                                 (op 2 0 :ok :append [2])
                                 (op 3 1 :info :append 2)]))))
  (testing "an unknown append may take effect later"
    (is (true? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :info :append 1)
                                (op 2 1 :invoke :read nil) (op 3 1 :ok :read [])
                                (op 4 1 :invoke :read nil) (op 5 1 :ok :read [1])]))))
  (testing "a read of a list no op produced: invalid"
    (is (false? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :ok :append [1])
                                 (op 2 1 :invoke :append 2) (op 3 1 :info :append 2)
                                 (op 4 0 :invoke :read nil) (op 5 0 :ok :read [2 1])]))))
  (testing "an unknown append seen between acknowledged ones"
    (is (true? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :info :append 1)
                                (op 2 1 :invoke :append 2) (op 3 1 :ok :append [1 2])
                                (op 4 1 :invoke :read nil) (op 5 1 :ok :read [1 2])]))))
  (testing "an unknown append seen at two different places: invalid"
    (is (false? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :info :append 1)
                                 (op 2 1 :invoke :append 2) (op 3 1 :info :append 2)
                                 (op 4 2 :invoke :read nil) (op 5 2 :ok :read [1 2])
                                 (op 6 2 :invoke :read nil) (op 7 2 :ok :read [2 1])]))))
  (testing "an unknown append seen after a read that missed it, then read again"
    (is (true? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :info :append 1)
                                (op 2 1 :invoke :append 2) (op 3 1 :ok :append [2])
                                (op 4 2 :invoke :read nil) (op 5 2 :ok :read [2 1])
                                (op 6 1 :invoke :read nil) (op 7 1 :ok :read [2 1])]))))
  (testing "an unknown append that shows before an append acknowledged before it began: invalid"
    (is (false? (knossos-valid? [(op 0 1 :invoke :append 2) (op 1 1 :ok :append [2])
                                 (op 2 0 :invoke :append 1) (op 3 0 :info :append 1)
                                 (op 4 2 :invoke :read nil) (op 5 2 :ok :read [1 2])]))))
  (testing "a failed append must never show"
    (is (false? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :fail :append 1)
                                 (op 2 1 :invoke :read nil) (op 3 1 :ok :read [1])])))))

(def test-thread
  "The thread the tests run on: knossos prepares its search here (memo
  steps the model), then searches on threads of its own."
  (atom nil))

(defrecord TrapModel [trap n]
  ; Steps fine while the search is being prepared, then calls trap on the
  ; search's own threads. Every step makes a new state, so that Knossos
  ; cannot memoize the model (it gives up past 1024 states) and the search
  ; really steps this one.
  knossos.model.Model
  (step [m op]
    (when-not (identical? (Thread/currentThread) @test-thread) (trap))
    (TrapModel. trap (inc n))))

(defn trap-model [trap] (->TrapModel trap 0))

(def trap-history
  ; plain: the reductions would drop these unknown appends, which no read shows
  (pc/knossos-history [(op 0 0 :invoke :append 1) (op 1 0 :info :append 1)
                       (op 2 1 :invoke :read nil) (op 3 1 :ok :read [])
                       (op 4 2 :invoke :append 2) (op 5 2 :info :append 2)]
                      false))

(defn timed [f]
  (let [t0 (System/nanoTime), r (f)]
    [r (quot (- (System/nanoTime) t0) 1000000)]))

(deftest knossos-history-reduces-unknown-appends
  (let [h (pc/knossos-history [(op 0 0 :invoke :append 1) (op 1 0 :info :append 1)
                               (op 2 1 :invoke :append 2) (op 3 1 :info :append 2)
                               (op 4 2 :invoke :append 3) (op 5 2 :ok :append [2 3])
                               (op 6 3 :invoke :append 4)])]
    (testing "an unknown append no list shows is dropped, with its completion"
      (is (not-any? #(= 0 (:process %)) h)))
    (testing "a seen one may only apply where the lists show it"
      (is (= {:appended 2, :list [2], :prefix []}
             (:value (first (filter #(= 1 (:process %)) h))))))
    (testing "an append that never completed, seen nowhere, is dropped"
      (is (not-any? #(= 3 (:process %)) h)))
    (is (= [1 1 2 2] (map :process h)))))

(deftest many-unknown-appends-reduced
  (testing "30 concurrent unknown appends, all seen by a read: Knossos answers quickly"
    (let [n   30
          h   (concat (for [i (range n)] (op i i :invoke :append i))
                      (for [i (range n)] (op (+ n i) i :info :append i))
                      [(op (* 2 n) n :invoke :read nil)
                       (op (inc (* 2 n)) n :ok :read (vec (reverse (range n))))])
          [r ms] (timed #(pc/run-knossos (pc/append-list) (pc/knossos-history h)
                                         {:time-limit-ms 60000}))]
      (is (true? (:valid? r)))
      (is (< ms 30000)))))

(deftest knossos-out-of-memory
  ; Each bound on ms is well under the time limit (60 s) but leaves room for
  ; preparing the search (Knossos memoizes the model first), which takes
  ; seconds on a loaded machine.
  (reset! test-thread (Thread/currentThread))
  (testing "a search that dies of OutOfMemoryError answers at once, not at the time limit"
    (let [[r ms] (timed #(pc/run-knossos (trap-model (fn [] (throw (OutOfMemoryError. "planted"))))
                                         trap-history {:time-limit-ms 60000}))]
      (is (= :unknown (:valid? r)))
      (is (= :out-of-memory (:cause r)))
      (is (re-find #"planted" (:detail r)))
      (is (< ms 20000))))
  (testing "a thrashing collector stops the search at once"
    (let [t0      (System/currentTimeMillis)
          stopped (promise)
          fake    (fn [] {:t-ms (System/currentTimeMillis)
                          :gc-ms (* 0.9 (- (System/currentTimeMillis) t0))
                          :heap-frac 0.97})
          [r ms]  (timed #(pc/run-knossos (trap-model (fn [] (try (Thread/sleep 60000)
                                                                  (catch InterruptedException e
                                                                    (deliver stopped true)
                                                                    (throw e)))))
                                          trap-history
                                          {:time-limit-ms 60000, :period-ms 50, :sample-fn fake
                                           :thrash {:window-ms 1000, :gc-frac 0.5, :heap-frac 0.9}}))]
      (is (= :out-of-memory (:cause r)))
      (is (re-find #"GC thrashing" (:detail r)))
      (is (< ms 20000))
      (is (deref stopped 5000 false) "the search was interrupted")))
  (testing "past the time limit: :timeout, and the search is stopped"
    (let [stopped (promise)
          [r ms]  (timed #(pc/run-knossos (trap-model (fn [] (try (Thread/sleep 60000)
                                                                  (catch InterruptedException e
                                                                    (deliver stopped true)
                                                                    (throw e)))))
                                          trap-history {:time-limit-ms 500, :period-ms 50}))]
      (is (= :timeout (:cause r)))
      (is (< ms 20000))
      (is (deref stopped 5000 false) "the search was interrupted"))))

(deftest edn-lines
  (let [l (pc/edn-line (assoc (op 3 2 :ok :append [1 2]) :error [:x "y"]))]
    (is (= {:index 3, :time 3000, :type :ok, :process 2, :f :append, :value [1 2],
            :error [:x "y"]}
           (edn/read-string l)))
    (is (not (re-find #"\n" l)))))

(deftest gateway-answers
  (is (= [4 6 2] (client/parse-list "{\"value\":2,\"index\":2,\"list\":[4,6,2]}")))
  (is (= [] (client/parse-list "{\"list\":[]}")))
  (is (= [] (client/parse-list "{\"list\": [ ]}")))
  (is (nil? (client/parse-list "{\"error\":\"no leader\"}")))
  (is (= 2 (client/parse-int-field "{\"leader\": 2, \"x\":1}" "leader")))
  (let [inv {:type :invoke, :f :append, :value 2}]
    (is (= {:type :ok, :f :append, :value [4 2]}
           (client/append-result inv 2 {:status 200, :body "{\"value\":2,\"index\":1,\"list\":[4,2]}"})))
    (is (= :fail (:type (client/append-result inv 2 {:status 503, :body "{\"error\":\"no quorum\"}"}))))
    (is (= :info (:type (client/append-result inv 2 {:status 504, :body "{\"error\":\"timeout\"}"}))))
    (is (= :info (:type (client/append-result inv 2 {:status 500, :body ""}))))))
