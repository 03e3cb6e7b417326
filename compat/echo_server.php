<?php
// Slide "Echo in PHP", server: a REP socket echoing every request.
//
// Changed from the talk:
// - echo "Received {$msg}" gets a "\n": the talk's lines run together.
// - The endpoint is an optional argument (default the talk's
//   tcp://127.0.0.1:5000), so tests can use a free port.
// - An optional COUNT makes the server exit after that many messages, so a test
//   run ends by itself; without it the server loops forever as in the talk.
// - new ZMQContext(1, false): php-zmq's contexts are persistent by default and
//   are then never terminated, so a process could exit before libzmq's I/O
//   thread flushed the last reply. A non-persistent context is terminated when
//   it is freed, which waits for the socket's 1 s linger.
// - No closing PHP tag: nothing after the code can leak into the output. (The
//   tag is not even written in this comment: in PHP it ends a // comment too.)
// The rest is the talk's php-zmq API as is (ZMQContext, getSocket, send, recv).
//
// Pairs with the Rust example `echo_server`; any echo_client.{py,rb,php} talks to it.
// Run:   php compat/echo_server.php [ENDPOINT [COUNT]]

$endpoint = $argv[1] ?? "tcp://127.0.0.1:5000";
$count = isset($argv[2]) ? (int) $argv[2] : null;

$context = new ZMQContext(1, false);
$socket = $context->getSocket(ZMQ::SOCKET_REP);
$socket->bind($endpoint);

$served = 0;
while ($count === null || $served < $count) {
    $msg = $socket->recv();
    echo "Received {$msg}\n";
    $socket->send($msg);
    $served++;
}

$socket->setSockOpt(ZMQ::SOCKOPT_LINGER, 1000);
unset($socket);
unset($context);
