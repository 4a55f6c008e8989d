(ns jepsen.paxos.client
  "Appends unique ints and reads the list over the gateway's HTTP API, with
  the JDK's java.net.http (no extra dependency):

    POST /append {\"value\":N}  -> 200 {\"value\":N,\"index\":I,\"list\":[...]}
    GET  /list                  -> 200 {\"list\":[...]}
    503: not applied (no leader or quorum)  -> :fail
    504, a timeout, a broken connection: outcome unknown -> :info

  Ops are the original test's and bin/paxos-check's full form: an :ok
  append's :value is the whole list right after it (ending with the appended
  value), an :ok read's :value is the list."
  (:require [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen.client :as client])
  (:import (java.net ConnectException URI)
           (java.net.http HttpClient HttpClient$Version HttpConnectTimeoutException HttpRequest
                          HttpRequest$BodyPublishers HttpResponse
                          HttpResponse$BodyHandlers HttpTimeoutException)
           (java.io IOException)
           (java.time Duration)))

(def gateway-base-port
  "Node N's gateway listens on this + N."
  5000)

(defn gateway-url
  "The gateway of node i (1-based) at host."
  [host i]
  (str "http://" host ":" (+ gateway-base-port i)))

(defn http-client
  []
  (-> (HttpClient/newBuilder)
      (.version HttpClient$Version/HTTP_1_1)
      (.connectTimeout (Duration/ofSeconds 2))
      (.build)))

(defn request!
  "Sends a request, returns {:status s, :body b}. Throws IOExceptions."
  [^HttpClient http method ^String url body timeout-ms]
  (let [b (-> (HttpRequest/newBuilder (URI/create url))
              (.timeout (Duration/ofMillis timeout-ms)))
        b (case method
            :get  (.GET b)
            :post (-> b
                      (.header "Content-Type" "application/json")
                      (.POST (HttpRequest$BodyPublishers/ofString body))))
        ^HttpResponse r (.send http (.build b) (HttpResponse$BodyHandlers/ofString))]
    {:status (.statusCode r), :body (.body r)}))

;; The gateway's answers are flat JSON objects of ints and one int array; a
;; small exact parser for those shapes is all we need.

(defn parse-list
  "The ints of the \"list\" member of a JSON object, as a vector, or nil if
  there is none."
  [body]
  (when-let [[_ xs] (re-find #"\"list\"\s*:\s*\[([^\]]*)\]" (str body))]
    (let [xs (str/trim xs)]
      (if (= "" xs)
        []
        (mapv #(Long/parseLong (str/trim %)) (str/split xs #","))))))

(defn parse-int-field
  "The int member k of a JSON object, or nil."
  [body k]
  (when-let [[_ n] (re-find (re-pattern (str "\"" k "\"\\s*:\\s*(-?\\d+)")) (str body))]
    (Long/parseLong n)))

(defn parse-error
  [body]
  (second (re-find #"\"error\"\s*:\s*\"([^\"]*)\"" (str body))))

(defn leader
  "The leader id node i's /status names, or nil."
  [http host i]
  (try
    (let [{:keys [status body]} (request! http :get (str (gateway-url host i) "/status")
                                          nil 1000)]
      (when (= 200 status)
        (let [l (parse-int-field body "leader")]
          (when (and l (pos? l)) l))))
    (catch Exception _ nil)))

(defn- unknown
  "An append whose outcome is unknown; a read that failed (reads change
  nothing, so a failed read is simply :fail)."
  [op error]
  (assoc op :type (if (= :append (:f op)) :info :fail), :error error))

(defn append-result
  "Interprets the gateway's answer to an append of v."
  [op v {:keys [status body]}]
  (case (int status)
    200 (if-let [l (parse-list body)]
          ; Recorded as it came, even if it does not end with v: judging
          ; the answer is the checkers' job (both flag such a result).
          (assoc op :type :ok, :value l)
          (unknown op [:bad-response body]))
    503 (assoc op :type :fail, :error [:unavailable (parse-error body)])
    504 (assoc op :type :info, :error [:timeout (parse-error body)])
    (unknown op [:http status (parse-error body)])))

(defn read-result
  [op {:keys [status body]}]
  (case (int status)
    200 (if-let [l (parse-list body)]
          (assoc op :type :ok, :value l)
          (assoc op :type :fail, :error [:bad-response body]))
    503 (assoc op :type :fail, :error [:unavailable (parse-error body)])
    504 (assoc op :type :fail, :error [:timeout (parse-error body)])
    (assoc op :type :fail, :error [:http status (parse-error body)])))

(defrecord Client [http url timeout-ms]
  client/Client
  (open! [this test node]
    (let [i (inc (.indexOf ^java.util.List (vec (:nodes test)) node))]
      (assoc this
             :http (http-client)
             :url (gateway-url (get (:node-hosts test) node node) i))))

  (setup! [this test])

  (invoke! [this test op]
    (try
      (case (:f op)
        :append (let [v (:value op)]
                  (append-result op v (request! http :post (str url "/append")
                                                (str "{\"value\":" v "}")
                                                timeout-ms)))
        :read (read-result op (request! http :get (str url "/list") nil timeout-ms)))
      (catch ConnectException e
        ; Nothing was sent: surely not applied.
        (assoc op :type :fail, :error [:connect (.getMessage e)]))
      (catch HttpConnectTimeoutException e
        (assoc op :type :fail, :error [:connect-timeout]))
      (catch HttpTimeoutException e
        (unknown op [:client-timeout timeout-ms]))
      (catch IOException e
        (unknown op [:io (str (.getName (class e)) ": " (.getMessage e))]))))

  (teardown! [this test])

  (close! [this test]))

(defn client
  "A client whose requests time out after timeout-ms (more than the
  gateway's own request_timeout_ms, so the gateway's 504 comes first)."
  [timeout-ms]
  (Client. nil nil timeout-ms))
