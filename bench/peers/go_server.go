// Go's net package: a goroutine per connection, as its documentation writes an echo server,
// speaking the seed's protocol. Usage: go_server PORT
package main

import (
	"net"
	"os"
)

func echo(conn net.Conn) {
	defer conn.Close()
	data := make([]byte, 4+1000)
	copy(data, "GOT:")
	for {
		n, err := conn.Read(data[4:])
		if err != nil {
			return
		}
		if _, err := conn.Write(data[:4+n]); err != nil {
			return
		}
	}
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		panic(err)
	}
	for {
		conn, err := listener.Accept()
		if err != nil {
			continue
		}
		go echo(conn)
	}
}
