<?php
// Slide "Echo in PHP", client: a REQ socket sending "msg 0".."msg 9".
//
// Changed from the talk:
// - echo "Sending {$msg}" gets a "\n": the talk's lines run together.
// - The talk's client never looks at the reply. This one prints it and exits 1
//   when a reply differs from its request.
// - ZMQ::SOCKOPT_RCVTIMEO/SNDTIMEO of 5 s: with no server the talk's client
//   waits forever. On a timeout php-zmq's recv()/send() return false (they
//   throw only for other errors); this prints an error and exits 1.
//   SOCKOPT_LINGER 0 so an unsent request cannot keep the process alive.
// - The endpoint is an optional argument (default the talk's tcp://127.0.0.1:5000).
// - No closing PHP tag: nothing after the code can leak into the output. (The
//   tag is not even written in this comment: in PHP it ends a // comment too.)
//
// Pairs with the Rust example `echo_client`; talks to any echo_server.{py,rb,php}.
// Run:   php compat/echo_client.php [ENDPOINT]
// Exit:  0 when all ten replies echo their requests, 1 otherwise.

$endpoint = $argv[1] ?? "tcp://127.0.0.1:5000";

$context = new ZMQContext();
$socket = $context->getSocket(ZMQ::SOCKET_REQ);
$socket->setSockOpt(ZMQ::SOCKOPT_RCVTIMEO, 5000);
$socket->setSockOpt(ZMQ::SOCKOPT_SNDTIMEO, 5000);
$socket->setSockOpt(ZMQ::SOCKOPT_LINGER, 0);
$socket->connect($endpoint);

$status = 0;
foreach (range(0, 9) as $i) {
    $msg = "msg {$i}";
    if ($socket->send($msg) === false) {
        fwrite(STDERR, "echo_client: send to {$endpoint} timed out\n");
        $status = 1;
        break;
    }
    echo "Sending {$msg}\n";
    $reply = $socket->recv();
    if ($reply === false) {
        fwrite(STDERR, "echo_client: no reply within 5 s from {$endpoint}\n");
        $status = 1;
        break;
    }
    echo "Received reply {$reply}\n";
    if ($reply !== $msg) {
        fwrite(STDERR, "echo_client: reply '{$reply}' differs from request '{$msg}'\n");
        $status = 1;
        break;
    }
}

exit($status);
