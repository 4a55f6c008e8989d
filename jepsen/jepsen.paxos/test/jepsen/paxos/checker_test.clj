(ns jepsen.paxos.checker-test
  "The exact append-list model, the Knossos history preparation, the EDN
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
  [history]
  (:valid? (linear/analysis (pc/append-list) (pc/knossos-history history))))

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
  (testing "a failed append must never show"
    (is (false? (knossos-valid? [(op 0 0 :invoke :append 1) (op 1 0 :fail :append 1)
                                 (op 2 1 :invoke :read nil) (op 3 1 :ok :read [1])])))))

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
